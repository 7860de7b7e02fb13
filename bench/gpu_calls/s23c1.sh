#!/usr/bin/env bash
# Session 23 call 1: the warpgroup-MMA pass 2 walking runs of consecutive row tiles per CTA,
# keeping a gate buffer whose images the next tile spans too, and skipping a last slice's
# second half past K.
# 1. test_mbconv_wg, memcheck and racecheck of it, the kernel and network tests;
# 2. gpu_bench sides W (this build) and B (7d53d50: .gpu/bin/gpu_bench_base), two rounds,
#    tuner log; tune_table at 256 and 64 of both.
bench/gpu_bench.sh unpack || exit 1
xz -d -f .gpu/bin/gpu_bench_base.xz 2>/dev/null
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader; date -u +%FT%TZ
BLOCKFUSE_TEST_FILTER="test_mbconv_wg" timeout 100 .gpu/bin/gpu_kernels_test >"$OUT/kwg.log" 2>&1
r=$?
echo "test_mbconv_wg rc=$r: $(grep -c 'rel err' "$OUT/kwg.log") checks, max $(grep 'rel err' "$OUT/kwg.log" | awk '{print $NF}' | sort -g | tail -1)"
[ $r = 0 ] || { grep -B3 -A10 -E "FAIL|rror" "$OUT/kwg.log" | head -60; exit 1; }
for tool in memcheck racecheck; do
  BLOCKFUSE_TEST_FILTER="test_mbconv_wg" timeout 200 compute-sanitizer --tool $tool \
    --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_$tool.log 2>&1
  echo "$tool rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' /tmp/san_$tool.log | tail -1), $(grep -c 'rel err' /tmp/san_$tool.log) checks"
  grep -E "Error|Race|Hazard" /tmp/san_$tool.log | head -5
done
timeout 300 .gpu/bin/gpu_kernels_test >"$OUT/gpu_kernels_test.log" 2>&1
echo "gpu_kernels_test rc=$? $(grep -c 'rel err' "$OUT/gpu_kernels_test.log") checks, max $(grep 'rel err' "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/gpu_kernels_test.log" | head -3
timeout 120 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "logits rel err" "$OUT/net.log" | head -6
date -u +%FT%TZ
for r in 1 2; do
  for side in W B; do
    bin=.gpu/bin/gpu_bench
    [ $side = B ] && bin=.gpu/bin/gpu_bench_base
    BLOCKFUSE_CUDA_TUNE_LOG=1 $bin $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side$r.txt" 2>&1
    echo "$side$r graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side$r.txt")"
    echo "$side$r kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side$r.txt")"
  done
done
for side in W B; do
  echo "$side per-block 256: $(awk '/per-block roofline, batch 256/{p=1} p' "$OUT/ab_${side}1.txt" | head -22 | awk '{printf "%s ", $5}')"
done
for side in W B; do
  for b in 256 64; do echo "== $side $b"; python3 bench/tune_table.py "$OUT/ab_${side}1.txt" $b; done
done
rm -f "$OUT"/ab_*2.txt
date -u +%FT%TZ
