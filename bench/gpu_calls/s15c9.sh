#!/usr/bin/env bash
# Session 15 call 9: the session's last build (commit of s15c8) against PyTorch at batches 1
# and 256 only (this session's device time was nearly spent): gpu_bench (graph and
# kernels-only columns, 50 iterations) and timm's efficientnet_b0 (eager, torch.compile,
# torch.compile + CUDA graphs), same call.
OUT_KEEP="$OUT"
OUT=/tmp/g PHASES=bench,torch BATCHES=1,256 ITERS=50 bench/gpu_bench.sh run >/tmp/g.txt 2>&1
echo "gpu_bench.sh run rc=$?"
grep -E "torch|compile|eager|img/s|^ +[0-9]+ +[0-9]" /tmp/g.txt | grep -v "^stack\|^stem\|^head" | cut -c1-170
cp /tmp/g/gpu_bench.txt /tmp/g/torch.txt "$OUT_KEEP/"
date -u +%FT%TZ
