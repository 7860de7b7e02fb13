#!/usr/bin/env bash
# Session 31 call 6: the warpgroup-MMA MLP's column-split form (px_wgn_kernel, wg = 3: two
# warpgroups on 64 pixels split up to 384 columns, H through shared memory, the projection
# with both operands by descriptor). The ConvNeXt and ConvFirst tests alone first (a hang ends
# at the timeout), then all kernel and network tests, memcheck and racecheck of both tests, and
# convnext_tiny in gpu_bench at batches 1 and 256 (tuner log), and at 256 with wg forced.
. bench/gpu_calls/setup.sh
for t in test_convnext test_convfirst; do
  BLOCKFUSE_TEST_FILTER=$t timeout 150 .gpu/bin/gpu_kernels_test >"$OUT/$t.log" 2>&1
  echo "$t rc=$? $(grep -c 'rel err' "$OUT/$t.log") checks, wgn: $(grep -c ' wgn' "$OUT/$t.log")"
  grep -E " wgn" "$OUT/$t.log" | awk '{print $NF}' | sort -g | tail -1 | sed 's/^/  wgn largest rel err /'
  grep -E "FAIL|rror" "$OUT/$t.log" | head -5
done
KTIMEOUT=300 NTIMEOUT=200 . bench/gpu_calls/checks.sh
grep -E "convnext_test|convfirst_test" "$OUT/net.log" | sort -u
SAN_TIMEOUT=150 SAN_TESTS="test_convnext test_convfirst" . bench/gpu_calls/sanitize.sh
C=/tmp/convnext_tiny
.gpu/bin/arch_model convnext_tiny $C || exit 1
BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 150 .gpu/bin/gpu_bench $C --batches 1,256 --iters 50 \
  >"$OUT/bench.log" 2>"$OUT/tune.log"
echo "gpu_bench rc=$?"
sed -n 4,7p "$OUT/bench.log"
grep -A30 "batch 256" "$OUT/bench.log" | grep -E "^(stage[0-3]\.block0|total) "
grep -E "bucket 256" "$OUT/bench.log" | grep -E "block0"
grep -E "b256 px wgn" "$OUT/tune.log" | grep -E "block1 " | head -8
BLOCKFUSE_CUDA_PX=wg timeout 100 .gpu/bin/gpu_bench $C --batches 256 --iters 20 >"$OUT/bench_wg.log" 2>&1
echo "== wg rc=$? $(sed -n 5p "$OUT/bench_wg.log")"
grep -E "^(stage[0-3]\.block0|total) " "$OUT/bench_wg.log" | tail -5
