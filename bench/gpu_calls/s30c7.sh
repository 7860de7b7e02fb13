#!/usr/bin/env bash
# Session 30 call 7, the session's final run: the row-warp MLP kernel added to the pixel-tile
# blocks' candidates (128 pixels a CTA, each warp 16 whole rows, the expand's accumulators the
# projection's A fragments). s30c3's tests, sanitizers (the ConvNeXt and ConvFirst tests force
# the row-warp kernel too), convnext_tiny / convfirst_small in gpu_bench and timm
# convnext_tiny in the same call; then EfficientNet-B0 in gpu_bench at batches 1 and 256.
bash bench/gpu_calls/s30c3.sh
. bench/gpu_calls/setup.sh
grep -h "rw" "$OUT"/bench_*.log | grep -c "bucket" | sed 's/^/row-warp plans: /'
timeout 120 .gpu/bin/gpu_bench "$M" --batches 1,256 --iters 100 >"$OUT/b0.log" 2>&1
echo "gpu_bench b0 rc=$?"
sed -n 4,7p "$OUT/b0.log"
