#!/usr/bin/env bash
# Session 42 call 3: the tensor-core stem's swish epilogue on fp16 accumulators from the bias
# pair (CoutP <= 32) beside s42c2's PASS1 expand, both against fp32 (BLOCKFUSE_CUDA_H16EXP=0).
# Checks: the whole gpu_kernels_test (test_stem's new f32exp runs), the network test, memcheck
# and racecheck of test_stem. Then gpu_bench at 1, 8, 64 and 256, same binary, both sides
# twice, with the stem's and the first blocks' times at 1 and 256.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/gpu_calls/ab_side.sh
timeout 300 .gpu/bin/gpu_kernels_test >"$OUT/kernels.log" 2>&1
echo "gpu_kernels_test rc=$? checks $(grep -c 'rel err' "$OUT/kernels.log"), largest $(grep -o 'rel err [0-9.e+-]*' "$OUT/kernels.log" | awk '{print $3}' | sort -g | tail -1)"
grep -E "PASSED|FAILED|^stem" "$OUT/kernels.log" | head -30 | cut -c1-150
BLOCKFUSE_TEST_FILTER=test_network_matches_cpu timeout 150 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1
echo "network test rc=$?"
grep -E "logits rel err|PASSED|FAILED" "$OUT/net.log" | head -4 | cut -c1-140
SAN_TESTS=test_stem SAN_TIMEOUT=200 . bench/gpu_calls/sanitize.sh
date -u +%FT%TZ
ab_side H 1,8,64,256
ab_side F 1,8,64,256 BLOCKFUSE_CUDA_H16EXP=0
ab_side H2 1,8,64,256
ab_side F2 1,8,64,256 BLOCKFUSE_CUDA_H16EXP=0
for s in H F H2 F2; do
  for b in 1 256; do
    echo "$s $b blocks: $(awk -v b="batch $b " '/per-block/ && index($0, b){p=1} p && /^total/{exit} p && /^(stem|stack[0-1])/{printf "%s=%s ", $1, $5}' "$OUT/ab_$s.txt")"
  done
done
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
