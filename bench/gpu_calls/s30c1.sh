#!/usr/bin/env bash
# Session 30 call 1: the pixel-tile blocks (px_block.cu: ConvNeXt and ConvFirst blocks, the
# downsampling conv, the LayerNorm stem and head) on the GPU for the first time:
#  - all kernel tests (the new test_convnext, test_convfirst, test_px_conv, test_head_ln with
#    them) and the network tests (EfficientNet-B0 on the photos; the random-weight
#    convnext_test and convfirst_test networks against the CPU backend);
#  - compute-sanitizer memcheck and racecheck of the four new kernel tests;
#  - then gpu_bench on bench/arch_model's convnext_tiny and convfirst_small (random weights),
#    the tuner's px candidates logged (BLOCKFUSE_CUDA_TUNE_LOG=1).
. bench/gpu_calls/setup.sh
OUT=${OUT:-/tmp/s30c1}
mkdir -p "$OUT"
KTIMEOUT=240 NTIMEOUT=200 . bench/gpu_calls/checks.sh
grep -E "^(cnx|cf|down|stemln|headln)" "$OUT/k.log" | awk '{print $1, $2, $4, $NF}' | sort -k4 -g | tail -4
grep -E "convnext_test|convfirst_test" "$OUT/net.log"
for t in test_convnext test_convfirst test_px_conv test_head_ln; do
  for tool in memcheck racecheck; do
    BLOCKFUSE_TEST_FILTER=$t timeout 150 compute-sanitizer --tool $tool --error-exitcode 9 \
      .gpu/bin/gpu_kernels_test >"$OUT/san_${tool}_$t.log" 2>&1
    echo "$tool $t rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/san_${tool}_$t.log" | tail -1)"
  done
done
for arch in convnext_tiny convfirst_small; do
  .gpu/bin/arch_model $arch /tmp/$arch || exit 1
  BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 240 .gpu/bin/gpu_bench /tmp/$arch --batches 1,8,64,256 \
    --iters 50 >"$OUT/bench_$arch.log" 2>"$OUT/tune_$arch.log"
  echo "gpu_bench $arch rc=$?"
  grep -v "^tune" "$OUT/bench_$arch.log" | head -120
done
