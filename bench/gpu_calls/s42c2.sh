#!/usr/bin/env bash
# Session 42 call 2: the fp16-accumulator expand now only in PASS1's dw_vec builds (K1; in
# every build the second swish path had made ptxas spill more). Checks: the whole
# gpu_kernels_test, the network test, memcheck of test_mbconv_se and racecheck of
# test_mbconv_chunks (its dw_vec runs take the new path, f32exp beside). Then gpu_bench at 64
# and 256, same binary, both sides twice.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/gpu_calls/ab_side.sh
timeout 300 .gpu/bin/gpu_kernels_test >"$OUT/kernels.log" 2>&1
echo "gpu_kernels_test rc=$? checks $(grep -c 'rel err' "$OUT/kernels.log"), largest $(grep -o 'rel err [0-9.e+-]*' "$OUT/kernels.log" | awk '{print $3}' | sort -g | tail -1)"
grep -E "PASSED|FAILED|f32exp" "$OUT/kernels.log" | head -20 | cut -c1-150
BLOCKFUSE_TEST_FILTER=test_network_matches_cpu timeout 150 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1
echo "network test rc=$?"
grep -E "logits rel err|PASSED|FAILED" "$OUT/net.log" | head -4 | cut -c1-140
BLOCKFUSE_TEST_FILTER=test_mbconv_se timeout 200 compute-sanitizer --tool memcheck \
  --error-exitcode 9 .gpu/bin/gpu_kernels_test >"$OUT/mem_se.log" 2>&1
echo "memcheck test_mbconv_se rc=$? $(grep -E 'ERROR SUMMARY' "$OUT/mem_se.log" | tail -1) $(grep -c 'rel err' "$OUT/mem_se.log") checks"
BLOCKFUSE_TEST_FILTER=test_mbconv_chunks timeout 240 compute-sanitizer --tool racecheck \
  --error-exitcode 9 .gpu/bin/gpu_kernels_test >"$OUT/race_chunks.log" 2>&1
echo "racecheck test_mbconv_chunks rc=$? $(grep -E 'RACECHECK SUMMARY' "$OUT/race_chunks.log" | tail -1) $(grep -c 'rel err' "$OUT/race_chunks.log") checks"
date -u +%FT%TZ
ab_side H 64,256
ab_side F 64,256 BLOCKFUSE_CUDA_H16EXP=0
ab_side H2 64,256
ab_side F2 64,256 BLOCKFUSE_CUDA_H16EXP=0
for s in H F H2 F2; do
  echo "$s 256 blocks: $(awk '/per-block/ && /batch 256/{p=1} p && /^total/{exit} p && /^(stem|stack[0-2])/{printf "%s=%s ", $1, $5}' "$OUT/ab_$s.txt")"
done
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
