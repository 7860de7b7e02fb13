#!/usr/bin/env bash
# Session 24 call 5: the head's 1x1 conv (320 -> 1280, act, pooled) on the warpgroup-MMA GEMM
# of pixel_gemm_wg.cu with a pooling epilogue (pg_pool_acc, shared with the pixel GEMM's),
# 128 columns per CTA; the tuner times it against the pixel GEMM per batch (with the FC after
# both). Tests: test_head (each case also with CUDA_TEST_WG) under memcheck and racecheck,
# every kernel test, the network; A/B: W (this build) against H (BLOCKFUSE_CUDA_HEADWG=0),
# two rounds, the head per batch, the tuner's head lines; Nsight Compute of the wg head.
TTIMEOUT=300 MEMCHECK="test_head" RACECHECK="test_head" MTIMEOUT=200 RTIMEOUT=200 \
  SIDES="W=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_TUNE_LOG=1 H=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_HEADWG=0" \
  bash bench/gpu_calls/s9_ab.sh 2>&1 | grep -v "^tune "
rc=${PIPESTATUS[0]}
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -E "head" "$OUT/gpu_kernels_test.log" | head -12
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in W1 H1 W2 H2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
  echo "   head us by batch: $(grep -E '^head +head' "$OUT/ab_$f.txt" | awk '{printf "%s ", $5}')"
done
grep "tune head" "$OUT/ab_W1.txt"
rm -f "$OUT"/san_*.log "$OUT"/gpu_*_test.log "$OUT"/ab_*2.txt
[ "$rc" = 0 ] || exit "$rc"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
. bench/gpu_calls/prof.sh
prof headwg "pixel_gemm_wg_kernel<.*true" 0
rm -f "$OUT"/raw_*.csv "$OUT"/sass_*.xz
date -u +%FT%TZ
