#!/usr/bin/env bash
# Session 32 call 1: the persistent pixel-tile MLP kernel (px_wgp_kernel, cuda_px_args.wg = 4).
# The ConvNeXt and ConvFirst kernel tests (the new kernel forced, on 1 to 3 CTAs that walk every
# tile), memcheck and racecheck of test_convnext, then ConvNeXt-T with the tuner's log (every
# candidate of every block timed in the same run) at 1 and 256.
. bench/gpu_calls/setup.sh
BLOCKFUSE_TEST_FILTER='test_conv*' timeout 300 .gpu/bin/gpu_kernels_test >"$OUT/k.log" 2>&1
echo "kernels rc=$? $(grep -c 'rel err' "$OUT/k.log") checks, max $(grep 'rel err' "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/k.log" | head -3
grep -q "FAILED" "$OUT/k.log" && { grep -B3 -A10 -E "FAIL|rror" "$OUT/k.log" | head -40; }
SAN_TIMEOUT=240 SAN_TESTS="test_convnext" . bench/gpu_calls/sanitize.sh
.gpu/bin/arch_model convnext_tiny /tmp/convnext_tiny || exit 1
BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 200 .gpu/bin/gpu_bench /tmp/convnext_tiny --batches 1,256 --iters 50 >"$OUT/bench.log" 2>&1
echo "gpu_bench rc=$?"
grep -E "^ *(1|256) " "$OUT/bench.log" | head -4
grep -E "block0 b(1|256) px mlp" "$OUT/bench.log" | head -80

