#!/usr/bin/env bash
# Session 31 call 3: after s31c2's profile, the pixel-tile blocks' non-GEMM work made cheaper
# in every px kernel: GELU by its tanh form from one exp and one reciprocal (gelu_fast; erff
# had been a third of the wg kernel's instructions), depthwise items of two adjacent pixels
# loading K + 1 input columns a row (px_dw_adj), the MLP's LayerNorm a thread per row. All
# kernel and network tests, memcheck and racecheck of the ConvNeXt and ConvFirst tests, then
# convnext_tiny in gpu_bench at batches 1 and 256 (the tuner's choice, tuner log), and at 256
# with each kernel kind forced (BLOCKFUSE_CUDA_PX).
. bench/gpu_calls/setup.sh
KTIMEOUT=300 NTIMEOUT=200 . bench/gpu_calls/checks.sh
grep -E " px " "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1 | sed 's/^/px checks: largest rel err /'
grep -E "convnext_test|convfirst_test" "$OUT/net.log" | sort -u
SAN_TIMEOUT=150 SAN_TESTS="test_convnext test_convfirst" . bench/gpu_calls/sanitize.sh
C=/tmp/convnext_tiny
.gpu/bin/arch_model convnext_tiny $C || exit 1
BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 150 .gpu/bin/gpu_bench $C --batches 1,256 --iters 50 \
  >"$OUT/bench.log" 2>"$OUT/tune.log"
echo "gpu_bench rc=$?"
sed -n 4,7p "$OUT/bench.log"
grep -E "bucket 256" "$OUT/bench.log" | head -12
for px in tile rw wg; do
  BLOCKFUSE_CUDA_PX=$px timeout 100 .gpu/bin/gpu_bench $C --batches 256 --iters 20 \
    >"$OUT/bench_$px.log" 2>&1
  echo "== $px rc=$? $(sed -n 5p "$OUT/bench_$px.log")"
  grep -E "^(stem|stage[0-3]\.(block0|down)|head|total) " "$OUT/bench_$px.log" | tail -10
done
