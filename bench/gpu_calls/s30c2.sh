#!/usr/bin/env bash
# Session 30 call 2 (the binaries of s30c1): racecheck of the four new kernel tests (s30c1's
# logs did not come back), then the PyTorch baseline for ConvNeXt-T: timm convnext_tiny,
# fp16, channels_last, cudnn.benchmark, eager / torch.compile / compile + CUDA graphs, and
# gpu_bench on bench/arch_model's convnext_tiny again in the same call.
. bench/gpu_calls/setup.sh
OUT=${OUT:-/tmp/s30c2}
mkdir -p "$OUT"
for t in test_convnext test_convfirst test_px_conv test_head_ln; do
  BLOCKFUSE_TEST_FILTER=$t timeout 150 compute-sanitizer --tool racecheck --error-exitcode 9 \
    .gpu/bin/gpu_kernels_test >/tmp/rc_$t.log 2>&1
  echo "racecheck $t rc=$? $(grep -E 'RACECHECK SUMMARY|ERROR SUMMARY' /tmp/rc_$t.log | tail -1)"
done
.gpu/bin/arch_model convnext_tiny /tmp/convnext_tiny || exit 1
timeout 200 .gpu/bin/gpu_bench /tmp/convnext_tiny --batches 1,8,64,256 --iters 50 >"$OUT/bench.log" 2>&1
echo "gpu_bench rc=$?"
sed -n 1,9p "$OUT/bench.log"
timeout 330 python3 .gpu/torch_baseline.py --model convnext_tiny --batches 1,8,64,256 --iters 30 \
  >"$OUT/torch.log" 2>&1
echo "torch rc=$?"
grep -v -i "warn" "$OUT/torch.log" | tail -20
