#!/usr/bin/env bash
# Session 15 call 5: the session's build (f7e85c2's kernels) against PyTorch and under load,
# with gpu_bench's new column: the same kernels' graph without the image H2D and the logits
# D2H ("kern ms": the images already on the device, as PyTorch's baseline is timed). The
# kernel and network tests, the daemon's integration tests on the cuda backend, gpu_bench
# (100 iterations), loadgen against `blockfuse serve --executors 2 --max-batch-size 64`, and
# timm's efficientnet_b0 (eager, torch.compile, torch.compile + CUDA graphs).
OUT_KEEP="$OUT"
OUT=/tmp/g PHASES=test,servetest,bench,serve,torch ITERS=100 bench/gpu_bench.sh run >/tmp/g.txt 2>&1
echo "gpu_bench.sh run rc=$?"
grep -E "^\[ +(PASSED|FAILED) +\]|^== |FAIL|top-1|throughput|p50|requests|failed|torch|compile|eager|^ +[0-9]+ +[0-9]" /tmp/g.txt | grep -v "^stack\|^stem\|^head\|rel err.*n=" | cut -c1-170
cp /tmp/g/gpu_bench.txt /tmp/g.txt /tmp/g/torch.txt "$OUT_KEEP/"
date -u +%FT%TZ
