#!/usr/bin/env bash
# Session 30 call 8: the MLP kernels' shared start, chunk copies and k16-step MMAs
# (px_mlp_start, px_mlp_copy, px_mma_row16: a refactor after s30c7, the same registers):
# all kernel and network tests, memcheck and racecheck of the ConvNeXt and ConvFirst tests,
# and convnext_tiny in gpu_bench at batches 1 and 256 against s30c7's 1.507 / 30.331 ms.
. bench/gpu_calls/setup.sh
KTIMEOUT=300 NTIMEOUT=200 . bench/gpu_calls/checks.sh
grep -E "convnext_test|convfirst_test" "$OUT/net.log"
SAN_TESTS="test_convnext test_convfirst" . bench/gpu_calls/sanitize.sh
.gpu/bin/arch_model convnext_tiny /tmp/convnext_tiny || exit 1
timeout 120 .gpu/bin/gpu_bench /tmp/convnext_tiny --batches 1,256 --iters 50 >"$OUT/bench.log" 2>&1
echo "gpu_bench rc=$?"
sed -n 4,7p "$OUT/bench.log"
