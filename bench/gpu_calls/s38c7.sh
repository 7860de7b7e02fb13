#!/usr/bin/env bash
# Session 38 call 7: main after the review's refactors (se_mma.cu's k step as mma_hilo_step, the SE
# tests' case loop as each_se_case): test_se_mma and test_mbconv_se, the network against the CPU
# backend, memcheck of test_se_mma.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
for t in test_se_mma test_mbconv_se; do
  BLOCKFUSE_TEST_FILTER=$t timeout 120 .gpu/bin/gpu_kernels_test >"$OUT/k_$t.log" 2>&1
  echo "$t rc=$? $(grep -c 'rel err' "$OUT/k_$t.log") checks, max $(grep 'rel err' "$OUT/k_$t.log" | awk '{print $NF}' | sort -g | tail -1) $(grep -E 'PASSED|FAILED' "$OUT/k_$t.log" | head -1)"
done
timeout 90 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1; echo "gpu_backend_test rc=$?"
grep -E "logits rel err" "$OUT/net.log" | head -2
SAN_TESTS=test_se_mma SAN_TIMEOUT=60 . bench/gpu_calls/sanitize.sh
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
