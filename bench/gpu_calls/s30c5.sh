#!/usr/bin/env bash
# Session 30 call 5 (s30c4's binaries): s30c4's gpu_bench logs stayed on the device (written
# outside $OUT), so the per-block tables and the tuner's log of convnext_tiny and
# convfirst_small once more, into $OUT.
. bench/gpu_calls/setup.sh
for arch in convnext_tiny convfirst_small; do
  .gpu/bin/arch_model $arch /tmp/$arch || exit 1
  BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 200 .gpu/bin/gpu_bench /tmp/$arch --batches 1,8,64,256 \
    --iters 50 >"$OUT/bench_$arch.log" 2>"$OUT/tune_$arch.log"
  echo "gpu_bench $arch rc=$?"
  sed -n 4,9p "$OUT/bench_$arch.log"
done
