#!/usr/bin/env bash
# Session 35 call 7: mbconv_wg.cu's depthwise rows with fewer instructions (s35c6's Nsight Compute:
# a 14-wide row of k = 5 was 983 instructions for 364 HFMA2, a 7-wide one 647 for 182): the taps
# addressed from one pointer with 32-bit offsets, the stage stores by a running pointer, the row's
# sums as fp16 pairs (as the tile kernel's), fp32 from the atomics on. s34c9's A/B, checks and
# sanitizers (env_ab.sh: W the tuner free to take wgx, N = BLOCKFUSE_CUDA_WGX=0 in the same
# binary), then timm efficientnet_b0 (torch_baseline.py) in the same call. The commands:
# bench/gpu_calls/wgx_ab.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/wgx_ab.sh
