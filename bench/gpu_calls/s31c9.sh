#!/usr/bin/env bash
# Session 31 call 9, after the review: px_out_pair ends every px launch (the CONV epilogue's
# split and plain branches, which had been written out beside px_mlp_out, now one call; the
# activation from px_out_act, which px_finish_kernel takes too), and the CONV kinds get no
# residual pointer. All kernel and network tests, memcheck and racecheck of the ConvNeXt and
# downsample/stem tests, convnext_tiny in gpu_bench at 1 and 256 against s31c8's 0.929 / 20.978.
. bench/gpu_calls/setup.sh
KTIMEOUT=300 NTIMEOUT=200 . bench/gpu_calls/checks.sh
grep -E "convnext_test|convfirst_test" "$OUT/net.log" | sort -u
SAN_TIMEOUT=150 SAN_TESTS="test_convnext test_px_conv" . bench/gpu_calls/sanitize.sh
.gpu/bin/arch_model convnext_tiny /tmp/convnext_tiny || exit 1
timeout 120 .gpu/bin/gpu_bench /tmp/convnext_tiny --batches 1,256 --iters 50 >"$OUT/bench.log" 2>&1
echo "gpu_bench rc=$?"
sed -n 4,7p "$OUT/bench.log"
grep -E "bucket 256" "$OUT/bench.log" | grep -E "block0|down"
