#!/usr/bin/env bash
# Session 30 call 6, the session's final run of the pixel-tile blocks: the downsample's K chunks
# also split over grid.z at small batches (hs for CUDA_PX_CONV). s30c3's tests, sanitizers,
# convnext_tiny / convfirst_small in gpu_bench and timm convnext_tiny in the same call, logs in
# the device tool's $OUT this time; then EfficientNet-B0 in gpu_bench at batches 1 and 256.
bash bench/gpu_calls/s30c3.sh
. bench/gpu_calls/setup.sh
timeout 120 .gpu/bin/gpu_bench "$M" --batches 1,256 --iters 100 >"$OUT/b0.log" 2>&1
echo "gpu_bench b0 rc=$?"
sed -n 4,7p "$OUT/b0.log"
