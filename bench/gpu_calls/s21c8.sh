#!/usr/bin/env bash
# Session 21 call 8: the head's GEMM (1x1 conv 320 -> 1280, act, pooled per image) in 128-row
# tiles. cuda_head_grid takes 64 rows per CTA wherever 128-row tiles are fewer than the SMs
# (batch 256: 98 of them) without counting its 10 column splits (980 CTAs); each 64-row tile
# reads all 320 x 128 of its columns' weights. BLOCKFUSE_CUDA_HEADBM=64 / 128 forces it (A/B).
# Kernel and network tests; sides B (the rule), B128, B64 of this build, two rounds each; then
# Nsight Compute on the head's launches at 256 (the pooling GEMM, the means, the FC).
TTIMEOUT=300 MEMCHECK="test_head*" RACECHECK="test_head*" MTIMEOUT=100 RTIMEOUT=100 \
  PLANS="head +bucket 256.*" PLANS_FROM=B \
  SIDES="B=.gpu/bin/gpu_bench B128=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_HEADBM=128 B64=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_HEADBM=64" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -E "^head" "$OUT/gpu_kernels_test.log" | cut -c1-150
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in B1 B1281 B641 B2 B1282 B642; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
for f in B1 B1281 B641 B2 B1282 B642; do
  echo "$f head us by batch: $(awk '/per-block roofline, batch/{b=$4} /^head /{printf "%s:%s ", b, $5}' "$OUT/ab_$f.txt")"
done
rm -f "$OUT"/san_*.log
[ $rc = 0 ] || exit $rc
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
. bench/gpu_calls/prof.sh
prof hgemm "pixel_gemm_kernel" 0
prof fc "bf::gemm_kernel" 0
rm -f "$OUT"/raw_*.csv "$OUT"/sass_*.csv.xz "$OUT"/src_*.txt
date -u +%FT%TZ
