#!/usr/bin/env bash
# Session 22 call 1: the STAGED pass 2 on warpgroup MMAs (pixel_gemm_wg.cu, sm_90a), first run.
# 1. test_mbconv_se (every pass-2 GEMM form against the CPU, the new wg checks among them) and
#    the network test; a failure stops the call, with the failing checks' lines;
# 2. gpu_bench at 1, 8, 64, 256 with the tuner's log, sides W (wg among the candidates) and
#    N (BLOCKFUSE_CUDA_WG=0), two rounds alternating; the tuner's fastest pass-2 kind per block
#    at 256 and 64 (bench/tune_table.py), graph and kernels-only ms, per-block us at 256.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader; date -u +%FT%TZ
BLOCKFUSE_TEST_FILTER="test_mbconv_se" timeout 200 .gpu/bin/gpu_kernels_test >"$OUT/kse.log" 2>&1
r=$?
echo "test_mbconv_se rc=$r: $(grep -c 'rel err' "$OUT/kse.log") checks"
grep " wg " "$OUT/kse.log" | cut -c1-160 | head -40
if [ $r != 0 ]; then grep -B3 -A10 -E "FAIL|rror" "$OUT/kse.log" | head -60; exit 1; fi
grep "rel err" "$OUT/kse.log" | awk '{print $NF}' | sort -g | tail -1
timeout 120 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "top-1|logits rel err" "$OUT/net.log" | head -6
date -u +%FT%TZ
for r in 1 2; do
  for side in W N; do
    e=""
    [ $side = N ] && e="BLOCKFUSE_CUDA_WG=0"
    env $e BLOCKFUSE_CUDA_TUNE_LOG=1 .gpu/bin/gpu_bench $M --batches 1,8,64,256 --iters 50 \
      >"$OUT/ab_$side$r.txt" 2>&1
    echo "$side$r graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side$r.txt")"
    echo "$side$r kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side$r.txt")"
  done
done
for side in W N; do
  echo "$side per-block 256: $(awk '/per-block roofline, batch 256/{p=1} p' "$OUT/ab_${side}1.txt" | head -22 | awk '{printf "%s ", $5}')"
done
python3 bench/tune_table.py "$OUT/ab_W1.txt" 256
python3 bench/tune_table.py "$OUT/ab_W1.txt" 64
grep -E "wg smem" "$OUT/ab_W1.txt" | head -40
date -u +%FT%TZ
