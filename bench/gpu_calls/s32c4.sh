#!/usr/bin/env bash
# Session 32 call 4: the column-split warpgroup-MMA kernel (px_wgn_kernel) in clusters of two
# (cuda_px_args.cl = 2): each weight stage's boxes half from each CTA's producer, multicast to both,
# the empty barriers taking an arrival of each consumer warp of both CTAs. Every kernel test (the
# cluster form forced on the ConvNeXt and ConvFirst cases), memcheck and racecheck of
# test_convnext and test_convfirst, then ConvNeXt-T and ConvFirst-small at 1 and 256: this build
# (W) against s32c3's (B, .gpu/bin/gpu_bench_base, main cc05db7), two rounds alternating. (The
# EfficientNet model is left out of the carry: the network test runs in the next call.)
. bench/gpu_calls/setup.sh
timeout 300 .gpu/bin/gpu_kernels_test >"$OUT/k.log" 2>&1
echo "kernels rc=$? $(grep -c 'rel err' "$OUT/k.log") checks, max $(grep 'rel err' "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/k.log" | head -3
grep -q "FAILED" "$OUT/k.log" && { grep -B3 -A10 -E "FAIL|rror" "$OUT/k.log" | head -40; exit 1; }
SAN_TIMEOUT=240 SAN_TESTS="test_convnext test_convfirst" . bench/gpu_calls/sanitize.sh
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
for side in W B; do
  echo "== per block at 256, $side"
  sed -n '/roofline, batch 256/,$p' "$OUT/bench_convnext_tiny_${side}1.log" | grep -E "^(stem|stage[0-3]\.(block0|down)|head|total) |stage[23].block0 *bucket 256"
done
