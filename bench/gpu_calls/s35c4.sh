#!/usr/bin/env bash
# Session 35 call 4, the final run (main fdebf3d: 0c27f9a's kernels; gpu_kernels_test, memcheck and
# racecheck ran in s35c1 and s35c2 on builds that held them, so it stays behind to fit the daemon
# into the carry): the network against the CPU backend, EfficientNet-B0 in gpu_bench at batches
# 1, 8, 64 and 256 (the per-block table), timm efficientnet_b0 (torch_baseline.py) in the same
# call, then the daemon on the cuda backend under loadgen and its integration tests
# (bench/gpu_bench.sh run, PHASES=serve,servetest). The commands: bench/gpu_calls/final_run.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/final_run.sh
