#!/usr/bin/env bash
# Session 30 call 4: s30c3 again on the build whose depthwise rows issue their K input and K
# weight loads together (k = 3, 5, 7): tests, sanitizers, convnext_tiny / convfirst_small in
# gpu_bench and timm convnext_tiny in the same call (bench/gpu_calls/s30c3.sh), then
# EfficientNet-B0 in gpu_bench at batches 1 and 256 (its kernels are unchanged; the check
# that the shared headers' change cost it nothing).
OUT=/tmp/s30c4 bash bench/gpu_calls/s30c3.sh
. bench/gpu_calls/setup.sh
timeout 120 .gpu/bin/gpu_bench "$M" --batches 1,256 --iters 100 >/tmp/s30c4/b0.log 2>&1
echo "gpu_bench b0 rc=$?"
sed -n 4,7p /tmp/s30c4/b0.log
