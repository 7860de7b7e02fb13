#!/usr/bin/env bash
# Session 19 call 8: the serving phase of s19c7 once more on a fresh machine (716f1e1), with
# PyTorch eager at batch 1 and 8 as the host's CPU-bound yardstick: s19c7's serving numbers
# were 16-21 % below s18c11's while the kernels at those batches moved by 1-2 %.
OUT_KEEP="$OUT"
OUT=/tmp/g PHASES=serve,torch BATCHES=1,8 ITERS=100 bench/gpu_bench.sh run >/tmp/g.txt 2>&1
echo "gpu_bench.sh run rc=$?"
grep -E "^== |throughput|p50|requests|eager|compile" /tmp/g.txt | cut -c1-170
cp /tmp/g.txt "$OUT_KEEP/"
date -u +%FT%TZ
