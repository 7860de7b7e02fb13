#!/usr/bin/env bash
# Session 42 call 1: the tile kernel's expand with fp16 accumulators (mma.sync ...f16.f16.f16.f16,
# swish blocks of CinP <= 32: stack1 and stack2 of B0) against fp32 ones
# (BLOCKFUSE_CUDA_H16EXP=0, what main ran). Checks: the whole gpu_kernels_test (its new f32exp
# runs beside the default fp16 ones), gpu_backend_test's network test. Then gpu_bench at 64 and
# 256, same binary, both sides twice, with the per-block times of stack1 and stack2 at 256.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/gpu_calls/ab_side.sh
timeout 300 .gpu/bin/gpu_kernels_test >"$OUT/kernels.log" 2>&1
echo "gpu_kernels_test rc=$? checks $(grep -c 'rel err' "$OUT/kernels.log"), largest $(grep -o 'rel err [0-9.e+-]*' "$OUT/kernels.log" | awk '{print $3}' | sort -g | tail -1)"
grep -E "PASSED|FAILED|f32exp" "$OUT/kernels.log" | head -20 | cut -c1-150
BLOCKFUSE_TEST_FILTER=test_network_matches_cpu timeout 150 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1
echo "network test rc=$?"
grep -E "logits rel err|PASSED|FAILED" "$OUT/net.log" | head -12 | cut -c1-140
date -u +%FT%TZ
ab_side H 64,256
ab_side F 64,256 BLOCKFUSE_CUDA_H16EXP=0
ab_side H2 64,256
ab_side F2 64,256 BLOCKFUSE_CUDA_H16EXP=0
for s in H F H2 F2; do
  echo "$s 256 blocks: $(awk '/per-block/ && /256/{p=1} p && /^(stem|stack[0-2])/{printf "%s=%s ", $1, $5}' "$OUT/ab_$s.txt")"
done
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
