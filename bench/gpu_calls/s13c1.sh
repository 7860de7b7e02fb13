#!/usr/bin/env bash
# Session 13 call 1: the per-tile pass-2 GEMM fed by bulk copies (pixel_gemm_bulk_kernel:
# cp.async.bulk rows completing on a stage mbarrier, the gates as fp16 in shared memory applied
# to the A fragments in the registers). The kernel and network tests (the SE tests run the new
# kernel on every K % 32 == 0 case and on 40 images of 2x2 outputs), memcheck and racecheck of
# the SE tests; then the same binary with the bulk candidates left out of the tuner (A,
# BLOCKFUSE_CUDA_BULK=0) and in (B), alternating, and B's batch-256 pass-2 plans.
TTIMEOUT=240 MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=150 RTIMEOUT=220 \
  SIDES="A=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_BULK=0 B=.gpu/bin/gpu_bench" \
  PLANS="stack[0-9]\.block[0-9] bucket 256 .*staged gemm[^]]*" PLANS_FROM=B bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E " bulk " "$OUT/gpu_kernels_test.log" | head -20
grep -B3 -A12 -E "FAIL|rror" "$OUT/gpu_kernels_test.log" | head -40
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
exit $rc
