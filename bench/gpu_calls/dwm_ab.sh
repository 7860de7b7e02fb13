#!/usr/bin/env bash
# Sourced by s33c2.sh and s33c3.sh (the dwm A/B calls, branch dwm's builds): test_px_dwm and the
# ConvNeXt / ConvFirst kernel tests, memcheck and racecheck of test_px_dwm, ConvNeXt-T at 1 and
# 256 with the tuner free (W), without dwm (N, BLOCKFUSE_CUDA_DWM=0) and with only dwm where it
# applies (F, =force); tuner logs and per-block tables. Everything also in $OUT/summary.txt.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
KTESTS="test_px_dwm test_conv*" . bench/gpu_calls/kernel_tests.sh
SAN_TIMEOUT=150 SAN_TESTS="test_px_dwm" . bench/gpu_calls/sanitize.sh
.gpu/bin/arch_model convnext_tiny /tmp/convnext_tiny || exit 1
for side in W N F; do
  v=$([ $side = N ] && echo 0 || { [ $side = F ] && echo force || echo 1; })
  BLOCKFUSE_CUDA_DWM=$v BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 200 .gpu/bin/gpu_bench /tmp/convnext_tiny \
    --batches 1,256 --iters 50 >"$OUT/bench_$side.log" 2>"$OUT/tune_$side.log"
  echo "$side rc=$? graph $(grep -E '^ +1 ' "$OUT/bench_$side.log" | awk '{print $6}') / $(grep -E '^ +256 ' "$OUT/bench_$side.log" | awk '{print $6, "kern", $9}')"
done
for side in W N F; do
  echo "== per block at 256, $side"
  sed -n '/roofline, batch 256/,$p' "$OUT/bench_$side.log" | grep -E "^(stem|stage[0-3]\.(block0|down)|head|total) |bucket 256"
done
echo "== tuner, b256, block0s, fastest 4 each"
for st in 0 1 2 3; do grep -E "tune stage$st\.block0 b256 px" "$OUT/tune_W.log" | sort -t: -k2 -g | head -4; done
