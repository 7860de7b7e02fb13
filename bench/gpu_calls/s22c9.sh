#!/usr/bin/env bash
# Session 22 call 9: the warpgroup-MMA pass 2's producer issuing two stages at a time
# (BLOCKFUSE_CUDA_WGPAIR=1), so that the two slices' 128-byte pieces of the same A rows go to
# DRAM together. test_mbconv_wg with it, memcheck and racecheck of that; the network test;
# gpu_bench sides W (one stage at a time) and P (pairs), two rounds.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader; date -u +%FT%TZ
export BLOCKFUSE_TEST_FILTER="test_mbconv_wg"
BLOCKFUSE_CUDA_WGPAIR=1 timeout 100 .gpu/bin/gpu_kernels_test >"$OUT/kwg.log" 2>&1
r=$?
echo "test_mbconv_wg (pairs) rc=$r: $(grep -c 'rel err' "$OUT/kwg.log") checks, max $(grep 'rel err' "$OUT/kwg.log" | awk '{print $NF}' | sort -g | tail -1)"
[ $r = 0 ] || { grep -B3 -A10 -E "FAIL|rror" "$OUT/kwg.log" | head -60; exit 1; }
BLOCKFUSE_CUDA_WGPAIR=1 timeout 150 compute-sanitizer --tool memcheck --error-exitcode 99 \
  .gpu/bin/gpu_kernels_test >/tmp/san_m.log 2>&1
echo "memcheck rc=$? $(grep -E 'ERROR SUMMARY' /tmp/san_m.log | tail -1), $(grep -c 'rel err' /tmp/san_m.log) checks"
BLOCKFUSE_CUDA_WGPAIR=1 timeout 150 compute-sanitizer --tool racecheck --error-exitcode 99 \
  .gpu/bin/gpu_kernels_test >/tmp/san_r.log 2>&1
echo "racecheck rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/san_r.log | tail -1), $(grep -c 'rel err' /tmp/san_r.log) checks"
unset BLOCKFUSE_TEST_FILTER
BLOCKFUSE_CUDA_WGPAIR=1 timeout 120 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "logits rel err" "$OUT/net.log" | head -6
date -u +%FT%TZ
for r in 1 2; do
  for side in W P; do
    e=""
    [ $side = P ] && e="BLOCKFUSE_CUDA_WGPAIR=1"
    env $e .gpu/bin/gpu_bench $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side$r.txt" 2>&1
    echo "$side$r graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side$r.txt")"
    echo "$side$r kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side$r.txt")"
  done
done
for side in W P; do
  echo "$side per-block 256: $(awk '/per-block roofline, batch 256/{p=1} p' "$OUT/ab_${side}1.txt" | head -22 | awk '{printf "%s ", $5}')"
done
rm -f "$OUT"/ab_*2.txt
date -u +%FT%TZ
