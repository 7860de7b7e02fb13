#!/usr/bin/env bash
# Session 13 call 5: the kept build (commit 1eca1a7's kernels, the bulk-copy pass-2 GEMM on any
# K) against PyTorch and under load: the daemon's integration tests on the cuda backend,
# gpu_bench, the daemon under load and the PyTorch baseline (bench/gpu_bench.sh run); then
# Nsight Compute of every launch of one batch-256 run (bench/gpu_profile.sh), tabled.
OUT=/tmp/g PHASES=servetest,bench,serve,torch ITERS=100 bench/gpu_bench.sh run >/tmp/g.txt 2>&1
echo "gpu_bench.sh run rc=$?"
grep -E "^\[ +(PASSED|FAILED) +\]|^== |FAIL|throughput|p50|requests|failed|torch|compile|eager|^ +[0-9]+ +[0-9]" /tmp/g.txt | grep -v "^stack\|^stem\|^head" | cut -c1-160
cp /tmp/g/gpu_bench.txt "$OUT/"
date -u +%FT%TZ
OUT=/tmp/p BATCHES=" " NCU_BATCHES=256 timeout 170 bench/gpu_profile.sh >/dev/null 2>&1
echo "gpu_profile rc=$?"
cp /tmp/p/ncu_table_B256.txt "$OUT/" && head -70 /tmp/p/ncu_table_B256.txt
date -u +%FT%TZ
