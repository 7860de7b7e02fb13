#!/usr/bin/env bash
# Session 39 call 3, the final run (main after the chunks were removed; the daemon staged,
# gpu_kernels_test left out for the carry limit): the network against the CPU backend
# (gpu_backend_test), EfficientNet-B0 in gpu_bench at batches 1, 8, 64 and 256 (the per-block
# table) and two instances at once at 64 and 256 (--concurrent 2), timm efficientnet_b0
# (torch_baseline.py) in the same call, alone and on two CUDA streams at 64 and 256. The
# daemon's serving path did not change this session, so its load test is left out.
# Its steps ran inline; they are now final_run.sh's with CONC=2 TORCH_STREAMS=2 SERVE=0,
# the same commands.
exec > >(tee "$OUT/summary.txt") 2>&1
CONC=2 TORCH_STREAMS=2 SERVE=0 . bench/gpu_calls/final_run.sh
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
