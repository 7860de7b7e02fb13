#!/usr/bin/env bash
# Session 32 call 5: the tuner's times of every warpgroup-MMA candidate on ConvNeXt-T at 1 and 256,
# the column-split form alone against in clusters of two (s32c4's build, main's kernels plus
# cuda_px_args.cl).
. bench/gpu_calls/setup.sh
.gpu/bin/arch_model convnext_tiny /tmp/convnext_tiny || exit 1
BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 200 .gpu/bin/gpu_bench /tmp/convnext_tiny --batches 1,256 --iters 20 >"$OUT/bench.log" 2>&1
echo "gpu_bench rc=$?"
grep -E "(stage[123]\.block0) b(1|256) px mlp wgn" "$OUT/bench.log"
