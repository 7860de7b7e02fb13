#!/usr/bin/env bash
# Session 32 call 7: the CONV pixel-tile launches' integer divisions (s32c6: the stem's output loop,
# an item per element with its row by a division, 56 % of its instructions; the downsample's
# gather a third): the stem's LayerNorm output by 8-channel items and 16-byte stores, small_div
# for the gathers' and tap statistics' divisions, gamma and beta by 16-byte loads. Every kernel
# test, memcheck and racecheck of test_px_conv and test_convnext, then ConvNeXt-T and
# ConvFirst-small at 1 and 256: this build (W) against s32c3's (B, main cc05db7), two rounds
# alternating. (No EfficientNet model in this carry: the next call runs the network tests.)
. bench/gpu_calls/setup.sh
timeout 300 .gpu/bin/gpu_kernels_test >"$OUT/k.log" 2>&1
echo "kernels rc=$? $(grep -c 'rel err' "$OUT/k.log") checks, max $(grep 'rel err' "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/k.log" | head -3
grep -q "FAILED" "$OUT/k.log" && { grep -B3 -A10 -E "FAIL|rror" "$OUT/k.log" | head -40; exit 1; }
SAN_TIMEOUT=200 SAN_TESTS="test_px_conv test_convnext" . bench/gpu_calls/sanitize.sh
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
  sed -n '/roofline, batch 256/,$p' "$OUT/bench_convnext_tiny_${side}1.log" | grep -E "^(stem|stage[0-3]\.(block0|down)|head|total) "
done
