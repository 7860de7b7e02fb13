#!/usr/bin/env bash
# Session 32 call 8, the final run (main 39e806a: s32c3's px kernels, the stem's output loop of
# s32c7, the downsample's gather as before): every kernel test and the networks against the CPU
# backend, memcheck and racecheck of test_px_conv, convnext_tiny and convfirst_small in gpu_bench
# at batches 1, 8, 64 and 256 (the per-block table at 256) and timm convnext_tiny
# (torch_baseline.py) in the same call.
. bench/gpu_calls/setup.sh
KTIMEOUT=300 NTIMEOUT=200 . bench/gpu_calls/checks.sh
grep -E "convnext_test|convfirst_test" "$OUT/net.log" | sort -u
SAN_TIMEOUT=150 SAN_TESTS="test_px_conv" . bench/gpu_calls/sanitize.sh
for arch in convnext_tiny convfirst_small; do
  .gpu/bin/arch_model $arch /tmp/$arch || exit 1
  timeout 150 .gpu/bin/gpu_bench /tmp/$arch --batches 1,8,64,256 --iters 50 \
    >"$OUT/bench_$arch.log" 2>&1
  echo "gpu_bench $arch rc=$?"
  sed -n 4,9p "$OUT/bench_$arch.log"
done
grep -A30 "batch 256" "$OUT/bench_convnext_tiny.log" | grep -E "^(stem|stage[0-3]\.(block0|down)|head|total) "
timeout 300 python3 .gpu/torch_baseline.py --model convnext_tiny --batches 1,8,64,256 --iters 30 \
  >"$OUT/torch.log" 2>&1
echo "torch rc=$?"
grep -v -i "warn" "$OUT/torch.log" | tail -14
