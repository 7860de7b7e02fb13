#!/usr/bin/env bash
# Session 33 call 1: the depthwise conv on tensor cores (px_dw_mma, cuda_px_args.dwm). The new
# test_px_dwm and the ConvNeXt / ConvFirst kernel tests, memcheck and racecheck of test_px_dwm,
# then ConvNeXt-T in gpu_bench at 1 and 256 in one binary: the tuner free to choose dwm (W),
# without it (N, BLOCKFUSE_CUDA_DWM=0), and with only dwm where it applies (F, =force), with the
# tuner's log of every candidate (tune_<side>.log) and the per-block tables at 256.
. bench/gpu_calls/setup.sh
for f in test_px_dwm 'test_conv*'; do
  BLOCKFUSE_TEST_FILTER="$f" timeout 300 .gpu/bin/gpu_kernels_test >"$OUT/k.log" 2>&1
  echo "kernels $f rc=$? $(grep -c 'rel err' "$OUT/k.log") checks, max $(grep 'rel err' "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1)"
  grep -E "PASSED|FAILED" "$OUT/k.log" | head -3
  grep -q "FAILED" "$OUT/k.log" && { grep -B3 -A10 -E "FAIL|rror" "$OUT/k.log" | head -40; exit 1; }
done
SAN_TIMEOUT=150 SAN_TESTS="test_px_dwm" . bench/gpu_calls/sanitize.sh
.gpu/bin/arch_model convnext_tiny /tmp/convnext_tiny || exit 1
for side in W N F; do
  v=$([ $side = N ] && echo 0 || { [ $side = F ] && echo force || echo 1; })
  BLOCKFUSE_CUDA_DWM=$v BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 200 .gpu/bin/gpu_bench /tmp/convnext_tiny \
    --batches 1,256 --iters 50 >"$OUT/bench_$side.log" 2>"$OUT/tune_$side.log"
  echo "$side rc=$? graph $(grep -E '^ +1 ' "$OUT/bench_$side.log" | awk '{print $6}') / $(grep -E '^ +256 ' "$OUT/bench_$side.log" | awk '{print $6, "kern", $9}')"
done
for side in W N F; do
  echo "== per block at 256, $side"
  sed -n '/roofline, batch 256/,$p' "$OUT/bench_$side.log" | grep -E "^(stem|stage[0-3]\.(block0|down)|head|total) "
done
echo "== tuner, b256, stage blocks (block0): dwm and not"
grep -E "tune stage[0-3]\.block0 b256 px" "$OUT/tune_W.log" | sort -t: -k2 | head -60
