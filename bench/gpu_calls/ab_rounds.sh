#!/usr/bin/env bash
# Sourced by the pixel-tile A/B bodies (px_ab.sh, down_ab.sh) after their checks: ConvNeXt-T and
# ConvFirst-small (bench/arch_model) in gpu_bench at batches 1 and 256, .gpu/bin/gpu_bench (W)
# against .gpu/bin/gpu_bench_base (B), two rounds alternating; one line each (graph ms at 1 / 256,
# kernels ms at 256). Logs: $OUT/bench_<model>_<side><round>.log.
for m in convnext_tiny convfirst_small; do .gpu/bin/arch_model $m /tmp/$m || exit 1; done
for r in 1 2; do
  for side in W B; do
    b=$([ $side = W ] && echo gpu_bench || echo gpu_bench_base)
    for m in convnext_tiny convfirst_small; do
      timeout 150 .gpu/bin/$b /tmp/$m --batches 1,256 --iters 50 >"$OUT/bench_${m}_$side$r.log" 2>&1
      echo "$m $side r$r rc=$? graph $(grep -E '^ +1 ' "$OUT/bench_${m}_$side$r.log" | awk '{print $6}') / $(grep -E '^ +256 ' "$OUT/bench_${m}_$side$r.log" | awk '{print $6, "kern", $9}')"
    done
  done
done
