#!/usr/bin/env bash
# Session 31 call 5: px_half_stats with four 8-channel loads in flight (s31c4's downsample of
# 384 channels had gone 323 -> 379 us with a thread per (pixel, tap)); the kernel and network
# tests, memcheck and racecheck of the downsample/stem test, convnext_tiny in gpu_bench at
# batches 1 and 256; then EfficientNet-B0 in gpu_bench and timm efficientnet_b0
# (torch_baseline.py) in the same call, for issue #4's targets.
. bench/gpu_calls/setup.sh
KTIMEOUT=300 NTIMEOUT=200 . bench/gpu_calls/checks.sh
SAN_TIMEOUT=150 SAN_TESTS="test_px_conv" . bench/gpu_calls/sanitize.sh
.gpu/bin/arch_model convnext_tiny /tmp/convnext_tiny || exit 1
timeout 120 .gpu/bin/gpu_bench /tmp/convnext_tiny --batches 1,256 --iters 50 >"$OUT/bench_cnx.log" 2>&1
echo "gpu_bench convnext_tiny rc=$?"
sed -n 4,7p "$OUT/bench_cnx.log"
grep -A30 "batch 256" "$OUT/bench_cnx.log" | grep -E "^(stem|stage[0-3]\.down|total) "
timeout 150 .gpu/bin/gpu_bench "$M" --batches 1,8,64,256 --iters 100 >"$OUT/b0.log" 2>&1
echo "gpu_bench b0 rc=$?"
sed -n 4,9p "$OUT/b0.log"
timeout 330 python3 .gpu/torch_baseline.py --batches 1,8,64,256 --iters 50 >"$OUT/torch_b0.log" 2>&1
echo "torch rc=$?"
grep -v -i "warn" "$OUT/torch_b0.log" | tail -14
