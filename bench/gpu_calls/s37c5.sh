#!/usr/bin/env bash
# Session 37 call 5, the final run (main 6f590f4's kernels: the wgx kernel's per-row channel sums
# and the head's GEMM on warpgroup MMAs; gpu_kernels_test ran in s37c4 on the same build, so it
# stays behind to fit the daemon into the carry): the network against the CPU backend,
# EfficientNet-B0 in gpu_bench at batches 1, 8, 64 and 256 (the per-block table), timm
# efficientnet_b0 (torch_baseline.py) in the same call, then the daemon on the cuda backend under
# loadgen and its integration tests. The commands: bench/gpu_calls/final_run.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/final_run.sh
