#!/usr/bin/env bash
# Session 25 call 3: the session's final kernels (8079d55: the 16-byte stores in the
# warpgroup-MMA and streaming bulk-copy GEMMs). Kernel and network tests, memcheck of
# test_mbconv_se and racecheck of test_mbconv_wg; gpu_bench twice (one side). Then the final
# run: the daemon's integration tests on the cuda backend, gpu_bench at batches 1, 8, 64 and
# 256 (100 iterations), serving under loadgen (JPEG, v2 JSON, uint8 tensors), and the PyTorch
# baseline (timm efficientnet_b0, fp16, channels_last, cudnn.benchmark; eager, torch.compile,
# torch.compile with CUDA graphs).
# the model travelled packed (.gpu/ was near the carry limit)
f=.gpu/runfiles/blockfuse/models/efficientnet_b0/model.safetensors.xz
[ -e "$f" ] && { xz -d -f "$f" || exit 1; }
TTIMEOUT=300 MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_wg" MTIMEOUT=150 RTIMEOUT=150 \
  SIDES="W=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in W1 W2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
rm -f "$OUT"/san_*.log "$OUT"/gpu_*_test.log "$OUT"/ab_*2.txt
[ $rc = 0 ] || exit $rc
OUT_KEEP="$OUT"
OUT=/tmp/g PHASES=servetest,bench,serve,torch ITERS=100 bench/gpu_bench.sh run >/tmp/g.txt 2>&1
echo "gpu_bench.sh run rc=$?"
grep -E "^\[ +(PASSED|FAILED) +\]|^== |FAIL|top-1|throughput|p50|requests|failed|torch|compile|eager|^ +[0-9]+ +[0-9]" /tmp/g.txt | grep -v "^stack\|^stem\|^head\|rel err.*n=" | cut -c1-170
cp /tmp/g/gpu_bench.txt /tmp/g/torch.txt /tmp/g/metrics.txt /tmp/g/efficiency.json "$OUT_KEEP/"
date -u +%FT%TZ
