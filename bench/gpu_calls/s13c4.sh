#!/usr/bin/env bash
# Session 13 call 4: the bulk-copy GEMM without a CTA barrier per slice (a full and an empty
# mbarrier per stage; thread 0 waits on the empty one before it refills a stage, one slice
# behind), 6 stages for 128-row tiles, and the swizzled ldmatrix offsets computed once per
# thread (s13c3's profile of stack5.block1's GEMM: 19 % achieved occupancy, no eligible warp
# 60 % of the cycles, the slice loop 131 instructions a warp of which 24 HMMA). The kernel and
# network tests, memcheck and racecheck of the SE tests; then s13c3's build (A, commit
# 1eca1a7's kernels) against this one (B, with the tuner's pass-2 times), alternating.
TTIMEOUT=240 MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=150 RTIMEOUT=220 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_TUNE_LOG=1" \
  PLANS="stack[0-9]\.block[0-9] bucket 256 .*staged gemm[^]]*" PLANS_FROM=B bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -B3 -A12 -E "FAIL|rror" "$OUT/gpu_kernels_test.log" | head -40
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
grep -E "^tune stack(5\.block1|6\.block0|4\.block1) batch 256" "$OUT/ab_B1.txt" | grep bulk | sed 's/pass-2 gemm //' | head -30
exit $rc
