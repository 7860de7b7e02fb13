#!/usr/bin/env bash
# Session 30 call 3: the pixel-tile blocks with output splits of 96/192/384 columns, the hidden
# split (hs) for small batches, packed-fp16 depthwise rows and 8-channel grouped-conv items:
# all kernel and network tests, memcheck and racecheck of the ConvNeXt and ConvFirst tests,
# then bench/arch_model's convnext_tiny and convfirst_small in gpu_bench (the tuner's
# candidates logged) and timm convnext_tiny (torch_baseline.py) in the same call.
. bench/gpu_calls/setup.sh
OUT=${OUT:-/tmp/s30c3}
mkdir -p "$OUT"
KTIMEOUT=300 NTIMEOUT=200 . bench/gpu_calls/checks.sh
grep -E "^(cnx|cf|down|stemln|headln)" "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1 |
  sed 's/^/px checks: largest rel err /'
grep -E "convnext_test|convfirst_test" "$OUT/net.log"
SAN_TESTS="test_convnext test_convfirst" . bench/gpu_calls/sanitize.sh
for arch in convnext_tiny convfirst_small; do
  .gpu/bin/arch_model $arch /tmp/$arch || exit 1
  BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 200 .gpu/bin/gpu_bench /tmp/$arch --batches 1,8,64,256 \
    --iters 50 >"$OUT/bench_$arch.log" 2>"$OUT/tune_$arch.log"
  echo "gpu_bench $arch rc=$?"
done
timeout 330 python3 .gpu/torch_baseline.py --model convnext_tiny --batches 1,8,64,256 --iters 30 \
  >"$OUT/torch.log" 2>&1
echo "torch rc=$?"
grep -v -i "warn" "$OUT/torch.log" | tail -14
sed -n 1,9p "$OUT/bench_convnext_tiny.log"
