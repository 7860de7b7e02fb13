#!/usr/bin/env bash
# Sourced by the sessions' final runs on main (s28c6, s29c5; the same commands each had
# inline): on the GPU host, repo root, .gpu/ carried with the daemon. Unpacks, runs the
# kernel and network tests (checks.sh), then `bench/gpu_bench.sh run` (PHASES=servetest,
# bench,serve,torch ITERS=100 CONCURRENT=0): the daemon's tests on the cuda backend, gpu_bench,
# the daemon under loadgen and the PyTorch baseline in the same call; prints their headlines
# and the per-block table at 256, and keeps the logs in $OUT.
. bench/gpu_calls/setup.sh
. bench/gpu_calls/checks.sh
OUT_KEEP="$OUT"
OUT=/tmp/g PHASES=servetest,bench,serve,torch ITERS=100 CONCURRENT=0 bench/gpu_bench.sh run >/tmp/g.txt 2>&1
echo "gpu_bench.sh run rc=$?"
grep -E "^\[ +(PASSED|FAILED) +\]|^== |FAIL|top-1|throughput|p50|requests|failed|torch|compile|eager|^ +[0-9]+ +[0-9]" /tmp/g.txt | grep -v "^stack\|^stem\|^head\|rel err.*n=" | cut -c1-170
awk '/per-block roofline, batch 256 /{p=1} p{print} p&&/^total/{exit}' /tmp/g/gpu_bench.txt
cp /tmp/g/gpu_bench.txt /tmp/g/torch.txt /tmp/g/metrics.txt /tmp/g/efficiency.json /tmp/g/load_*.txt "$OUT_KEEP/"
date -u +%FT%TZ
