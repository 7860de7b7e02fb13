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
# each width twice, 16 to 256 in steps of 16: A from the registers ({4 registers}, the
# descriptor of B, then B transposed) and both by descriptor (A K-major, B transposed)
for n in $(seq 16 16 256); do
  f="$R/fused_kernels/wgmma_ops.cuh"
  c=$(grep -c "wgmma.mma_async.sync.aligned.m64n${n}k16.f32.f16.f16 " "$f")
  [ "$c" = 2 ] || { echo "FAIL m64n${n}k16: $c"; exit 1; }
  c=$(grep -cE "m64n${n}k16.f32.f16.f16 \{[^}]*\}, \{%[0-9]+, %[0-9]+, %[0-9]+, %[0-9]+\}, %[0-9]+, p, 1, 1, 1;" "$f")
  [ "$c" = 1 ] || { echo "FAIL m64n${n}k16 with A in registers: $c"; exit 1; }
  c=$(grep -cE "m64n${n}k16.f32.f16.f16 \{[^}]*\}, %[0-9]+, %[0-9]+, p, 1, 1, 0, 1;" "$f")
  [ "$c" = 1 ] || { echo "FAIL m64n${n}k16 with A by descriptor: $c"; exit 1; }
done
echo "PASS wgmma_ops.cuh is the generator's output, two MMAs per width 16..256"
