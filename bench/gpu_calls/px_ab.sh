#!/usr/bin/env bash
# Sourced by the thirty-second session's A/B calls (s32c3.sh, s32c4.sh, s32c7.sh) after setup.sh:
# every kernel test (a failure ends the call), memcheck and racecheck of the tests in $SAN_TESTS
# ($SAN_TIMEOUT s each), then ConvNeXt-T and ConvFirst-small (bench/arch_model) in gpu_bench at
# batches 1 and 256: .gpu/bin/gpu_bench (W) against .gpu/bin/gpu_bench_base (B), two rounds
# alternating (graph ms at 1 / 256 and kernels ms at 256), and ConvNeXt-T's per-block table at
# 256 of each side's first round (with the plans' lines matching $PLANS, if set).
# Logs: $OUT/k.log, $OUT/bench_<model>_<side><round>.log.
timeout 300 .gpu/bin/gpu_kernels_test >"$OUT/k.log" 2>&1
echo "kernels rc=$? $(grep -c 'rel err' "$OUT/k.log") checks, max $(grep 'rel err' "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/k.log" | head -3
grep -q "FAILED" "$OUT/k.log" && { grep -B3 -A10 -E "FAIL|rror" "$OUT/k.log" | head -40; exit 1; }
. bench/gpu_calls/sanitize.sh
. bench/gpu_calls/ab_rounds.sh
for side in W B; do
  echo "== per block at 256, $side"
  sed -n '/roofline, batch 256/,$p' "$OUT/bench_convnext_tiny_${side}1.log" |
    grep -E "^(stem|stage[0-3]\.(block0|down)|head|total) ${PLANS:+|$PLANS}"
done
