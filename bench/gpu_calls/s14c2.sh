#!/usr/bin/env bash
# Session 14 call 2: PASS1's own builds of the tile kernel (mbconv_kernel<.., P1 = true>: no
# projection, no gates), with the 2 x 2-block depthwise conv (dwquads) in the 8-warp build too.
# The kernel and network tests; memcheck of every MBConv kernel test and racecheck of the
# dw-shape tests (test_mbconv_chunks: dwrows and dwquads at every chunk width, 8 and 16 warps);
# then A = f3e5777 (gpu_bench_base), B = the change, C = B without PASS1's zeroing of the dw
# rows past the tile, two rounds each, B's batch-256 PASS1 plans.
TTIMEOUT=300 MEMCHECK="test_mbconv_*" RACECHECK="test_mbconv_chunks" MTIMEOUT=200 RTIMEOUT=200 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench C=.gpu/bin/gpu_bench_C" \
  PLANS="stack[0-9]\.block[0-9] bucket 256  \[pass1[^]]*" PLANS_FROM=B bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -B3 -A12 -E "FAIL|rror" "$OUT/gpu_kernels_test.log" | head -40
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
grep -E "RACECHECK SUMMARY|ERROR SUMMARY" /tmp/san_m.log /tmp/san_r.log | tail -4
grep -oE "stack[0-9]\.block[0-9] bucket 256  \[pass1[^]]*" "$OUT/ab_C1.txt"
exit $rc
