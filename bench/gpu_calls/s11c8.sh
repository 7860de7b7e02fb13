#!/usr/bin/env bash
# Session 11 call 8: the one-pixel depthwise conv as dw_pairs with one output row (dwpx: pitches
# compiled in, no pixel tables; the 80-register single-tile instantiation that stack1's PASS1
# runs) against bf25674 (A). Tests, memcheck and racecheck of every MBConv kernel test, the
# kernel tests again with BLOCKFUSE_CUDA_DWPX=0 (the table loop), then graph ms of A, B (this
# build with BLOCKFUSE_CUDA_DWPX=0) and C (this build), and C's plans for stack1 and stack2.
bench/gpu_bench.sh unpack || exit 1
MEMCHECK="test_mbconv_*" RACECHECK="test_mbconv_*" MTIMEOUT=200 RTIMEOUT=240 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_DWPX=0 C=.gpu/bin/gpu_bench" \
  PLANS="stack[12].block[0-9] bucket (64|256) .{0,60}" PLANS_FROM=C bash bench/gpu_calls/s9_ab.sh || exit 1
echo "memcheck checks: $(grep -c 'rel err' /tmp/san_m.log), racecheck checks: $(grep -c 'rel err' /tmp/san_r.log)"
BLOCKFUSE_CUDA_DWPX=0 BLOCKFUSE_GPU_TESTS=1 .gpu/bin/gpu_kernels_test >"$OUT/kt_dwpx0.log" 2>&1
echo "gpu_kernels_test with BLOCKFUSE_CUDA_DWPX=0: rc=$? $(grep -E 'PASSED|FAILED' "$OUT/kt_dwpx0.log" | tail -1)"
date -u +%FT%TZ
