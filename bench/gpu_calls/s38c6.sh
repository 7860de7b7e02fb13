#!/usr/bin/env bash
# Session 38 call 6: main after the review (se_mma.cu only where the device launches clusters,
# cudaDevAttrClusterLaunch): test_se_mma, the network against the CPU backend, and gpu_bench at
# 8, 64, 256 with the plans' SE launches (semma where the rule takes it) and the kernels' ms.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
BLOCKFUSE_TEST_FILTER=test_se_mma timeout 120 .gpu/bin/gpu_kernels_test >"$OUT/k_semma.log" 2>&1
echo "test_se_mma rc=$? $(grep -c 'rel err' "$OUT/k_semma.log") checks, max $(grep 'rel err' "$OUT/k_semma.log" | awk '{print $NF}' | sort -g | tail -1)"
timeout 90 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1; echo "gpu_backend_test rc=$?"
grep -E "logits rel err" "$OUT/net.log" | head -2
timeout 100 .gpu/bin/gpu_bench $M --batches 8,64,256 --iters 50 >"$OUT/b0.log" 2>&1
echo "gpu_bench rc=$? kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/b0.log")"
grep -c "\[semma\]" "$OUT/b0.log"
grep "\[semma\]" "$OUT/b0.log" | awk '{print $1, $3}' | tr '\n' ';'
echo
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
