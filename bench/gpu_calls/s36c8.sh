#!/usr/bin/env bash
# Session 36 call 8, the final run (main 21e391b's kernels: the wgx kernel's copied taps;
# gpu_kernels_test, memcheck and racecheck ran in s36c6 on the same build, so it stays behind to
# fit the daemon into the carry): the network against the CPU backend, EfficientNet-B0 in
# gpu_bench at batches 1, 8, 64 and 256 (the per-block table), timm efficientnet_b0
# (torch_baseline.py) in the same call, then the daemon on the cuda backend under loadgen and its
# integration tests. The commands: bench/gpu_calls/final_run.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/final_run.sh
