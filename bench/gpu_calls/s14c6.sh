#!/usr/bin/env bash
# Session 14 call 6: the streaming pass-2 GEMM fed by bulk tensor copies (pixel_gemm_bulks_
# kernel: persistent CTAs, each A slice one tensor copy, the weights resident, the next
# tile's gates in registers). The kernel tests (the SE tests run it with uneven tile counts,
# partial tiles, column splits, tiles across images), the network test, memcheck and
# racecheck of the SE tests; A = 1ce5ed5 (gpu_bench_base), B = the change with the tuner's
# pass-2 times (BLOCKFUSE_CUDA_TUNE_LOG=1), two rounds each; B's batch-256 pass-2 plans.
TTIMEOUT=300 MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=200 RTIMEOUT=240 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_TUNE_LOG=1" \
  PLANS="stack[0-9]\.block[0-9] bucket 256 .*staged gemm[^]]*" PLANS_FROM=B bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -B3 -A12 -E "FAIL|rror" "$OUT/gpu_kernels_test.log" | head -40
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
grep -E "^tune stack(0|1|2)\.block[0-9] batch 256" "$OUT/ab_B1.txt" | sed 's/pass-2 gemm //' | sort -t: -k2 | head -60
exit $rc
