#!/usr/bin/env bash
# Session 14 call 5: PASS1's per-chunk and per-CTA integer work. B: the expand GEMM's
# column-pair split, the chunk count and the input-tile copy's thread split by shifts
# (idiv) instead of divisions, and PASS1's one-pixel depthwise loop with mid's pitch
# compiled in (dw_chunk_h2_cc; 8-warp builds); C: the compiled pitch alone. The kernel and
# network tests and memcheck / racecheck of the dw-shape tests with B; then A = 1ce5ed5
# (gpu_bench_base), B, C, two rounds each; B's batch-256 PASS1 plans.
TTIMEOUT=300 MEMCHECK="test_mbconv_*" RACECHECK="test_mbconv_chunks" MTIMEOUT=200 RTIMEOUT=200 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench C=.gpu/bin/gpu_bench_C" \
  PLANS="stack[0-9]\.block[0-9] bucket 256  \[pass1[^]]*" PLANS_FROM=B bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
exit $rc
