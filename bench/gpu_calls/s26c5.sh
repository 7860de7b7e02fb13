#!/usr/bin/env bash
# Session 26 call 5: the final run of main's kernels (3d37a63: the twenty-fifth session's head
# changes, the stepped chunk copies and pg_out_pair of this one). Kernel and network tests,
# memcheck of test_mbconv_se and racecheck of test_mbconv_wg; gpu_bench twice (one side). Then
# the daemon's integration tests on the cuda backend, gpu_bench at batches 1, 8, 64 and 256
# (100 iterations), serving under loadgen (JPEG, v2 JSON, uint8 tensors), and the PyTorch
# baseline (timm efficientnet_b0, fp16, channels_last, cudnn.benchmark; eager, torch.compile,
# torch.compile with CUDA graphs). The commands are s25c3's, on this build.
exec bash bench/gpu_calls/s25c3.sh
