#!/usr/bin/env bash
# Session 24 call 7: s24c6 put the PASS1 stall samples on the BRAs after the chunk loop's
# three barriers (15.5 % of stack1.block0's): warps waiting for the busiest one. The tuner
# now also times, under each shared-memory cap and chunk width, the tile a cost model with
# the warps' rounds (quant: the expand's 16-row tiles in pairs over 8 warps, the depthwise
# conv's pixels x 8-channel groups over 256 threads) picks, where it differs. Tests: the
# kernel tests and the network (no kernel changed); A/B: W (this build) against Q
# (BLOCKFUSE_CUDA_QUANT=0), two rounds; per block at 256 and 64; the plans of both.
TTIMEOUT=300 MEMCHECK="test_head" RACECHECK="test_head" MTIMEOUT=100 RTIMEOUT=100 \
  SIDES="W=.gpu/bin/gpu_bench Q=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_QUANT=0" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in W1 Q1 W2 Q2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
for f in W1 Q1 W2 Q2; do for b in 256 64 8; do
  echo "$f $b: $(awk -v b=$b '$0 ~ "per-block roofline, batch " b " " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$f.txt")"
done; done
for f in W1 Q1; do
  echo "== $f plans"; grep -E "bucket (256|64|8) " "$OUT/ab_$f.txt" | grep pass1 | sed 's/\[staged gemm.*//' | cut -c1-110
done
rm -f "$OUT"/san_*.log "$OUT"/gpu_*_test.log "$OUT"/ab_*2.txt
date -u +%FT%TZ
exit $rc
