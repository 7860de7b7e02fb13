#!/usr/bin/env bash
# Session 13 call 2: the bulk-copy pass-2 GEMM moved to bulk tensor copies (s13c1's kernel
# issued a 64-byte cp.async.bulk per A row and one per weight row, 96-160 per slice, and the
# tuner took it for no block at 256): thread 0 now copies a slice with 1 + NT8 copies from
# tensor maps, into swizzled stages (pg_swz). The kernel and network tests, memcheck and
# racecheck of the SE tests; then the same binary without (A, BLOCKFUSE_CUDA_BULK=0) and with
# (B) the bulk candidates, alternating, B's batch-256 pass-2 plans, and B's tuner times of
# every pass-2 candidate at batch 256 for the 7x7 and 14x14 blocks (BLOCKFUSE_CUDA_TUNE_LOG).
TTIMEOUT=240 MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=150 RTIMEOUT=220 \
  SIDES="A=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_BULK=0 B=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_TUNE_LOG=1" \
  PLANS="stack[0-9]\.block[0-9] bucket 256 .*staged gemm[^]]*" PLANS_FROM=B bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E " bulk " "$OUT/gpu_kernels_test.log" | head -20
grep -B3 -A12 -E "FAIL|rror" "$OUT/gpu_kernels_test.log" | head -40
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
grep -E "^tune stack(3|4|5|6)\.block[0-9] batch 256" "$OUT/ab_B1.txt" | sed 's/pass-2 gemm //' | head -90
exit $rc
