#!/usr/bin/env bash
# Session 20 call 7: where the session's final build (0444841's kernels, as tested in s20c2) stands. The kernel
# and network tests, the daemon's integration tests on the cuda backend, gpu_bench at batches
# 1, 8, 64 and 256 (100 iterations), serving under loadgen (JPEG, v2 JSON, uint8 tensors), and
# the PyTorch baseline (timm efficientnet_b0, fp16, channels_last, cudnn.benchmark; eager,
# torch.compile, torch.compile with CUDA graphs) in the same call.
OUT_KEEP="$OUT"
OUT=/tmp/g PHASES=test,servetest,bench,serve,torch ITERS=100 bench/gpu_bench.sh run >/tmp/g.txt 2>&1
echo "gpu_bench.sh run rc=$?"
grep -E "^\[ +(PASSED|FAILED) +\]|^== |FAIL|top-1|throughput|p50|requests|failed|torch|compile|eager|^ +[0-9]+ +[0-9]" /tmp/g.txt | grep -v "^stack\|^stem\|^head\|rel err.*n=" | cut -c1-170
cp /tmp/g/gpu_bench.txt /tmp/g.txt /tmp/g/torch.txt /tmp/g/metrics.txt /tmp/g/efficiency.json "$OUT_KEEP/"
date -u +%FT%TZ
