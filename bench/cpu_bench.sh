#!/usr/bin/env bash
# EfficientNet-B0 on the CPU reference backend: batch 1 and batch 16.
# Usage: bench/cpu_bench.sh [extra blockfuse bench flags]
set -euo pipefail
cd "$(dirname "$0")/.."
./bazelw build //:blockfuse //models:efficientnet_b0 //bench:cpu_layerwise >&2
BIN=bazel-bin/server/blockfuse
echo "# $(date -u +%F) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
for b in 1 16; do
  iters=$((b == 1 ? 100 : 10))
  echo "\$ $BIN bench --backend cpu --batch $b --iters $iters --warmup 3 $*"
  "$BIN" bench --backend cpu --batch "$b" --iters "$iters" --warmup 3 "$@"
  echo
done
# Baseline in the same run: the same kernels layer by layer, one thread.
echo "\$ bazel-bin/bench/cpu_layerwise bazel-bin/models/efficientnet_b0 20"
bazel-bin/bench/cpu_layerwise bazel-bin/models/efficientnet_b0 20
