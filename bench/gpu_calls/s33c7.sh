#!/usr/bin/env bash
# Session 33 call 7 (branch downsample-lb): s33c5's chunk-ahead gather with three CTAs per SM forced
# (__launch_bounds__(256, 3) for the CONV kernels of nt <= 6: 80 registers, 92 bytes of spills;
# s33c6: its 99 registers had left two). As s33c5: the downsample's im2col chunks a chunk ahead (px_gather_load /
# px_gather_store, two chunk buffers): each chunk's gather had been a round trip before its MMAs.
# test_px_conv and the ConvNeXt / ConvFirst kernel tests, memcheck and racecheck of
# test_px_conv, then ConvNeXt-T and ConvFirst-small at 1 and 256 by bench/gpu_calls/px_ab.sh's
# loop: this build (W) against main's (B, .gpu/bin/gpu_bench_base: 8553aa5's kernels), two rounds
# alternating, and the per-block tables. (The EfficientNet model is left out of this call's
# carry for the second binary; its kernels are not changed.)
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
for f in test_px_conv 'test_conv*'; do
  BLOCKFUSE_TEST_FILTER="$f" timeout 300 .gpu/bin/gpu_kernels_test >"$OUT/k.log" 2>&1
  echo "kernels $f rc=$? $(grep -c 'rel err' "$OUT/k.log") checks, max $(grep 'rel err' "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1)"
  grep -E "PASSED|FAILED" "$OUT/k.log" | head -3
  grep -q "FAILED" "$OUT/k.log" && { grep -B3 -A10 -E "FAIL|rror" "$OUT/k.log" | head -40; exit 1; }
done
SAN_TIMEOUT=150 SAN_TESTS="test_px_conv" . bench/gpu_calls/sanitize.sh
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
  for r in 1 2; do
    echo "== per block at 256, $side r$r"
    sed -n '/roofline, batch 256/,$p' "$OUT/bench_convnext_tiny_${side}$r.log" |
      grep -E "^(stem|stage[0-3]\.(block0|down)|head|total) "
  done
  echo "== convfirst_small at 256, $side r1"
  sed -n '/roofline, batch 256/,$p' "$OUT/bench_convfirst_small_${side}1.log" | grep -E "down|stem|total" | head -8
done
