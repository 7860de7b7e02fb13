#!/usr/bin/env bash
# fused_kernels/wgmma_ops.cuh is generated: it must be exactly what
# fused_kernels/gen_wgmma_ops.py writes (regenerate it after editing the
# generator: python3 fused_kernels/gen_wgmma_ops.py > fused_kernels/wgmma_ops.cuh).
set -euo pipefail
R="${TEST_SRCDIR:-$PWD/..}/blockfuse"
if ! diff <(python3 "$R/fused_kernels/gen_wgmma_ops.py") "$R/fused_kernels/wgmma_ops.cuh" >/dev/null; then
  echo "FAIL fused_kernels/wgmma_ops.cuh differs from gen_wgmma_ops.py's output"
  exit 1
fi
# each width once, 16 to 256 in steps of 16, with its N / 2 accumulators
for n in $(seq 16 16 256); do
  c=$(grep -c "wgmma.mma_async.sync.aligned.m64n${n}k16.f32.f16.f16 " "$R/fused_kernels/wgmma_ops.cuh")
  [ "$c" = 1 ] || { echo "FAIL m64n${n}k16: $c"; exit 1; }
done
echo "PASS wgmma_ops.cuh is the generator's output, one MMA per width 16..256"
