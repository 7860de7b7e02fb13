#!/usr/bin/env bash
# Session 22 call 5: the head's 1x1 conv -> act -> pool GEMM on warpgroup MMAs (the pool mode
# of pixel_gemm_wg.cu; cuda_head_wg_grid).
# 1. test_head (with its wg checks) and test_mbconv_wg, memcheck and racecheck of both; the
#    kernel and network tests;
# 2. gpu_bench sides W (head on wg) and H (BLOCKFUSE_CUDA_HEADWG=0), two rounds; the head's
#    per-block us at each batch.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader; date -u +%FT%TZ
for t in test_head test_mbconv_wg; do
  BLOCKFUSE_TEST_FILTER="$t" timeout 100 .gpu/bin/gpu_kernels_test >"$OUT/k_$t.log" 2>&1
  r=$?
  echo "$t rc=$r: $(grep -c 'rel err' "$OUT/k_$t.log") checks, max $(grep 'rel err' "$OUT/k_$t.log" | awk '{print $NF}' | sort -g | tail -1)"
  [ $r = 0 ] || { grep -B3 -A10 -E "FAIL|rror" "$OUT/k_$t.log" | head -60; exit 1; }
  BLOCKFUSE_TEST_FILTER="$t" timeout 200 compute-sanitizer --tool memcheck \
    --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_m.log 2>&1
  echo "memcheck $t rc=$? $(grep -E 'ERROR SUMMARY' /tmp/san_m.log | tail -1), $(grep -c 'rel err' /tmp/san_m.log) checks"
  BLOCKFUSE_TEST_FILTER="$t" timeout 200 compute-sanitizer --tool racecheck \
    --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_r.log 2>&1
  echo "racecheck $t rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/san_r.log | tail -1), $(grep -c 'rel err' /tmp/san_r.log) checks"
done
grep "^head" "$OUT/k_test_head.log" | cut -c1-120
timeout 300 .gpu/bin/gpu_kernels_test >"$OUT/gpu_kernels_test.log" 2>&1
echo "gpu_kernels_test rc=$? $(grep -c 'rel err' "$OUT/gpu_kernels_test.log") checks, max $(grep 'rel err' "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/gpu_kernels_test.log" | head -3
timeout 120 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "logits rel err" "$OUT/net.log" | head -6
date -u +%FT%TZ
for r in 1 2; do
  for side in W H; do
    e=""
    [ $side = H ] && e="BLOCKFUSE_CUDA_HEADWG=0"
    env $e .gpu/bin/gpu_bench $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side$r.txt" 2>&1
    echo "$side$r graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side$r.txt")"
    echo "$side$r kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side$r.txt")"
    echo "$side$r head us by batch: $(awk '/per-block roofline, batch/{b=$4} /^head /{printf "%s:%s ", b, $5}' "$OUT/ab_$side$r.txt")"
  done
done
echo "W per-block 256: $(awk '/per-block roofline, batch 256/{p=1} p' "$OUT/ab_W1.txt" | head -22 | awk '{printf "%s ", $5}')"
rm -f "$OUT"/ab_*2.txt
date -u +%FT%TZ
