#!/usr/bin/env bash
# Session 31 call 1: the warpgroup-MMA pixel-tile kernel (px_wg.cu: wgmma for both GEMMs of the
# ConvNeXt / ConvFirst MLP, the weights streamed by bulk tensor copies from a producer warp) and
# the review's shared helpers (px_parts.cuh: px_hidden_pair, px_store_pair, the CONV layout
# from cuda_px_conv_main). First the ConvNeXt and ConvFirst kernel tests alone (the new kernel's
# checks; a hang ends at the timeout), then all kernel and network tests, memcheck and racecheck
# of both tests, and convnext_tiny in gpu_bench at batches 1 and 256 with the tuner's log.
. bench/gpu_calls/setup.sh
for t in test_convnext test_convfirst; do
  BLOCKFUSE_TEST_FILTER=$t timeout 150 .gpu/bin/gpu_kernels_test >"$OUT/$t.log" 2>&1
  echo "$t rc=$? $(grep -c 'rel err' "$OUT/$t.log") checks, wg: $(grep -c ' wg' "$OUT/$t.log")"
  grep -E " wg" "$OUT/$t.log" | awk '{print $NF}' | sort -g | tail -1 | sed 's/^/  wg largest rel err /'
  grep -E "FAIL|rror" "$OUT/$t.log" | head -5
done
KTIMEOUT=300 NTIMEOUT=200 . bench/gpu_calls/checks.sh
grep -E "convnext_test|convfirst_test" "$OUT/net.log"
SAN_TIMEOUT=150 SAN_TESTS="test_convnext test_convfirst" . bench/gpu_calls/sanitize.sh
.gpu/bin/arch_model convnext_tiny /tmp/convnext_tiny || exit 1
BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 150 .gpu/bin/gpu_bench /tmp/convnext_tiny --batches 1,256 \
  --iters 50 >"$OUT/bench.log" 2>"$OUT/tune.log"
echo "gpu_bench rc=$?"
sed -n 4,7p "$OUT/bench.log"
echo "wg plans won (of the px blocks' tunings): $(grep -c 'wg' "$OUT/bench.log")"
grep -E "b256 px" "$OUT/tune.log" | grep -E "stages\.(0|2|4|6)\.blocks\.0|stages\.2\.blocks\.5" | head -40
