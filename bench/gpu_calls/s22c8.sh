#!/usr/bin/env bash
# Session 22 call 8: the warpgroup-MMA pass 2 with the first tile's gates converted by every
# consumer thread (one round trip) instead of the gate warp.
# 1. test_mbconv_wg, memcheck and racecheck of it, the kernel and network tests;
# 2. gpu_bench sides W (this build), B (s22c7's build: .gpu/bin/gpu_bench_base), N (this
#    build, BLOCKFUSE_CUDA_WG=0), two rounds, tuner log; tune_table at 256 and 64 of W and B.
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
BLOCKFUSE_TEST_FILTER="test_mbconv_wg" timeout 200 compute-sanitizer --tool memcheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_m.log 2>&1
echo "memcheck rc=$? $(grep -E 'ERROR SUMMARY' /tmp/san_m.log | tail -1), $(grep -c 'rel err' /tmp/san_m.log) checks"
BLOCKFUSE_TEST_FILTER="test_mbconv_wg" timeout 200 compute-sanitizer --tool racecheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_r.log 2>&1
echo "racecheck rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/san_r.log | tail -1), $(grep -c 'rel err' /tmp/san_r.log) checks"
grep -E "Error|Race|Hazard" /tmp/san_r.log | head -5
timeout 300 .gpu/bin/gpu_kernels_test >"$OUT/gpu_kernels_test.log" 2>&1
echo "gpu_kernels_test rc=$? $(grep -c 'rel err' "$OUT/gpu_kernels_test.log") checks, max $(grep 'rel err' "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/gpu_kernels_test.log" | head -3
timeout 120 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "logits rel err" "$OUT/net.log" | head -6
date -u +%FT%TZ
for r in 1 2; do
  for side in W B N; do
    bin=.gpu/bin/gpu_bench e=""
    [ $side = B ] && bin=.gpu/bin/gpu_bench_base
    [ $side = N ] && e="BLOCKFUSE_CUDA_WG=0"
    env $e BLOCKFUSE_CUDA_TUNE_LOG=1 $bin $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side$r.txt" 2>&1
    echo "$side$r graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side$r.txt")"
    echo "$side$r kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side$r.txt")"
  done
done
for side in W B N; do
  echo "$side per-block 256: $(awk '/per-block roofline, batch 256/{p=1} p' "$OUT/ab_${side}1.txt" | head -22 | awk '{printf "%s ", $5}')"
done
for side in W B; do
  for b in 256 64; do python3 bench/tune_table.py "$OUT/ab_${side}1.txt" $b | cut -c1-16,109-; done
done
rm -f "$OUT"/ab_*2.txt
date -u +%FT%TZ
