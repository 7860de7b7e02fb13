#!/usr/bin/env bash
# Session 29 call 5: the final run on main (2dec319's kernels; the profiled graphs captured at
# create() where profile_every > 0, pexec-create): kernel and network tests, then
# `bench/gpu_bench.sh run` (PHASES=servetest,bench,serve,torch ITERS=100 CONCURRENT=0: no
# instances at once this time, the device time being short).
. bench/gpu_calls/setup.sh
. bench/gpu_calls/checks.sh
OUT_KEEP="$OUT"
OUT=/tmp/g PHASES=servetest,bench,serve,torch ITERS=100 CONCURRENT=0 bench/gpu_bench.sh run >/tmp/g.txt 2>&1
echo "gpu_bench.sh run rc=$?"
grep -E "^\[ +(PASSED|FAILED) +\]|^== |FAIL|top-1|throughput|p50|requests|failed|torch|compile|eager|^ +[0-9]+ +[0-9]" /tmp/g.txt | grep -v "^stack\|^stem\|^head\|rel err.*n=" | cut -c1-170
awk '/per-block roofline, batch 256 /{p=1} p{print} p&&/^total/{exit}' /tmp/g/gpu_bench.txt
cp /tmp/g/gpu_bench.txt /tmp/g/torch.txt /tmp/g/metrics.txt /tmp/g/efficiency.json /tmp/g/load_*.txt "$OUT_KEEP/"
date -u +%FT%TZ
