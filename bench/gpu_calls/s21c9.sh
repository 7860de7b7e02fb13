#!/usr/bin/env bash
# Session 21 call 9: cuda_head_grid takes 128-row tiles wherever the rows fill more than one
# (s21c8: the head 3-4 % faster at 8, 64 and 256 with them, 64 rows better at 1). Kernel and
# network tests, memcheck and racecheck of test_head; A = this build with
# BLOCKFUSE_CUDA_HEADBM=64 (the old rule's choice at batches 1, 8, 64 and 256), B = the new
# rule, two rounds each. Then the session's final run: the daemon's integration tests on the
# cuda backend, gpu_bench at batches 1, 8, 64 and 256 (100 iterations), serving under loadgen
# (JPEG, v2 JSON, uint8 tensors), and the PyTorch baseline (timm efficientnet_b0, fp16,
# channels_last, cudnn.benchmark; eager, torch.compile, torch.compile with CUDA graphs).
TTIMEOUT=300 MEMCHECK="test_head*" RACECHECK="test_head*" MTIMEOUT=100 RTIMEOUT=100 \
  SIDES="A=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_HEADBM=64 B=.gpu/bin/gpu_bench" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in A1 B1 A2 B2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
for f in A1 B1 A2 B2; do
  echo "$f head us by batch: $(awk '/per-block roofline, batch/{b=$4} /^head /{printf "%s:%s ", b, $5}' "$OUT/ab_$f.txt")"
done
rm -f "$OUT"/san_*.log "$OUT"/gpu_*_test.log
[ $rc = 0 ] || exit $rc
OUT_KEEP="$OUT"
OUT=/tmp/g PHASES=servetest,bench,serve,torch ITERS=100 bench/gpu_bench.sh run >/tmp/g.txt 2>&1
echo "gpu_bench.sh run rc=$?"
grep -E "^\[ +(PASSED|FAILED) +\]|^== |FAIL|top-1|throughput|p50|requests|failed|torch|compile|eager|^ +[0-9]+ +[0-9]" /tmp/g.txt | grep -v "^stack\|^stem\|^head\|rel err.*n=" | cut -c1-170
cp /tmp/g/gpu_bench.txt /tmp/g/torch.txt /tmp/g/metrics.txt /tmp/g/efficiency.json "$OUT_KEEP/"
date -u +%FT%TZ
