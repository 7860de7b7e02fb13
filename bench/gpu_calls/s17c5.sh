#!/usr/bin/env bash
# Session 17 call 5: two changes from s17c1's table. (1) The per-tile bulk-copy pass 2 with 6
# stages instead of 4 (five 32-channel slices in flight: the 7x7 blocks' K = 1152 tiles ran at
# 0.74 waves, 7.85 cycles per issued instruction); (2) the head's pooling GEMM with 128-row
# tiles at batch 256 (BLOCKFUSE_CUDA_HEAD_BM=128: the rule takes 64 below one wave of 128-row
# tiles, and the 10 column splits read the 8 MB input 10 times and the 0.8 MB weights per row
# tile). Kernel and network tests, memcheck and racecheck of the pass-2 GEMM tests
# (test_mbconv_se), test_head with 128-row tiles forced, plain and under memcheck; A = 0ae1cb8 (gpu_bench_base), B = the change,
# Bh = B with BLOCKFUSE_CUDA_HEAD_BM=128, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=220 RTIMEOUT=240 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench Bh=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_HEAD_BM=128" \
  PLANS="stack[3-6].block[0-9] bucket 256 .*" PLANS_FROM=B bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
BLOCKFUSE_CUDA_HEAD_BM=128 BLOCKFUSE_TEST_FILTER=test_head .gpu/bin/gpu_kernels_test 2>&1 | grep -E "rel err|PASSED|FAILED" | tail -4
BLOCKFUSE_CUDA_HEAD_BM=128 BLOCKFUSE_TEST_FILTER=test_head compute-sanitizer --tool memcheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test 2>&1 | grep -E "ERROR SUMMARY|PASSED|FAILED"
exit $rc
