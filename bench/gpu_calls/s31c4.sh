#!/usr/bin/env bash
# Session 31 call 4, the pixel-tile blocks' final run: s31c3's build plus the stem's gather an
# item per pixel and kernel row (K 3 bytes, no per-element division), its output LayerNorm's
# statistics a thread per row, and the downsample's input statistics a thread per (pixel,
# tap). All kernel and network tests, memcheck and racecheck of the ConvNeXt, ConvFirst and
# downsample/stem tests, convnext_tiny and convfirst_small in gpu_bench at batches 1, 8, 64
# and 256 (tuner log), and timm convnext_tiny (torch_baseline.py) in the same call.
. bench/gpu_calls/setup.sh
KTIMEOUT=300 NTIMEOUT=200 . bench/gpu_calls/checks.sh
grep -E " px |^stemln" "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1 |
  sed 's/^/px checks: largest rel err /'
grep -E "convnext_test|convfirst_test" "$OUT/net.log" | sort -u
SAN_TIMEOUT=150 SAN_TESTS="test_convnext test_convfirst test_px_conv" . bench/gpu_calls/sanitize.sh
for arch in convnext_tiny convfirst_small; do
  .gpu/bin/arch_model $arch /tmp/$arch || exit 1
  BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 150 .gpu/bin/gpu_bench /tmp/$arch --batches 1,8,64,256 \
    --iters 50 >"$OUT/bench_$arch.log" 2>"$OUT/tune_$arch.log"
  echo "gpu_bench $arch rc=$?"
  sed -n 4,9p "$OUT/bench_$arch.log"
done
grep -A30 "batch 256" "$OUT/bench_convnext_tiny.log" | grep -E "^(stem|stage[0-3]\.(block0|down)|head|total) "
timeout 330 python3 .gpu/torch_baseline.py --model convnext_tiny --batches 1,8,64,256 --iters 30 \
  >"$OUT/torch.log" 2>&1
echo "torch rc=$?"
grep -v -i "warn" "$OUT/torch.log" | tail -14
