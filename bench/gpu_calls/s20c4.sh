#!/usr/bin/env bash
# Session 20 call 4: the strips store their outputs straight to the stage (not through dwo
# and the channel sums' copy), and the tuner ranks the tiles with strips of one row where
# they apply (in place of the 2 x 2 blocks). Kernel and network tests, memcheck and
# racecheck of test_mbconv_strips; A = 0444841 (gpu_bench_base), B = the change, Bl = the
# change with BLOCKFUSE_CUDA_DWSTRIPS=late (strips only after the ranking, as 0444841: the
# direct stores alone), two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_strips" RACECHECK="test_mbconv_strips" MTIMEOUT=200 RTIMEOUT=200 \
  PLANS="stack[0-9].block[0-9] bucket (256|64|8) +\[pass1[^]]*\]" PLANS_FROM=B \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_TUNE_LOG=1 Bl=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_DWSTRIPS=late" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -E "strips" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in A1 B1 Bl1 A2 B2 Bl2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
for f in A1 B1 Bl1; do
  echo "$f per block at 64: $(awk '/per-block roofline, batch 64/{p=1} p' "$OUT/ab_${f}.txt" | head -22 | awk '{printf "%s ", $5}')"
  echo "$f per block at 8: $(awk '/per-block roofline, batch 8 /{p=1} p' "$OUT/ab_${f}.txt" | head -22 | awk '{printf "%s ", $5}')"
done
rm -f "$OUT"/san_*.log
exit $rc
