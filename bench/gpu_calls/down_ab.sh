#!/usr/bin/env bash
# Sourced by s33c5.sh and s33c7.sh (the downsample A/B calls): test_px_conv and the ConvNeXt /
# ConvFirst kernel tests, memcheck and racecheck of test_px_conv, then ConvNeXt-T and
# ConvFirst-small at 1 and 256 (px_ab.sh's loop): .gpu/bin/gpu_bench (W) against
# .gpu/bin/gpu_bench_base (B, main's 8553aa5 kernels), two rounds alternating, and the per-block
# tables of both rounds. Everything also in $OUT/summary.txt.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
KTESTS="test_px_conv test_conv*" . bench/gpu_calls/kernel_tests.sh
SAN_TIMEOUT=150 SAN_TESTS="test_px_conv" . bench/gpu_calls/sanitize.sh
. bench/gpu_calls/ab_rounds.sh
for side in W B; do
  for r in 1 2; do
    echo "== per block at 256, $side r$r"
    sed -n '/roofline, batch 256/,$p' "$OUT/bench_convnext_tiny_${side}$r.log" |
      grep -E "^(stem|stage[0-3]\.(block0|down)|head|total) "
  done
  echo "== convfirst_small at 256, $side r1"
  sed -n '/roofline, batch 256/,$p' "$OUT/bench_convfirst_small_${side}1.log" | grep -E "down|stem|total" | head -8
done
