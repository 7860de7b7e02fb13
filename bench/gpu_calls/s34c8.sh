#!/usr/bin/env bash
# Session 34 call 8, the final run (s34c7's build: the wgx PASS1 on EfficientNet-B0's 7x7 and 14x14
# stride-1 blocks; its kernel tests, sanitizers and A/B ran in s34c7, so gpu_kernels_test stays
# behind to fit the daemon into the carry): the network against the CPU backend, EfficientNet-B0
# in gpu_bench at batches 1, 8, 64 and 256 (the per-block table), timm efficientnet_b0
# (torch_baseline.py) in the same call, then the daemon on the cuda backend under loadgen and its
# integration tests (bench/gpu_bench.sh run, PHASES=serve,servetest). The commands (the same as
# ran): bench/gpu_calls/final_run.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/final_run.sh
