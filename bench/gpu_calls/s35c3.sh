#!/usr/bin/env bash
# Session 35 call 3: mbconv_wg.cu's depthwise warps store their row's channel sums as a tile of
# the sums (the output rows as the tiles; fp16-pair sums per thread) instead of adding them to
# the image's by shared-memory float atomics (compare-and-swap loops, every row of a step on the
# same 64 channels; s35c2 measured the same change in mbconv_wgb.cu). s34c9's A/B, checks and
# sanitizers (env_ab.sh: W the tuner free to take wgx, N = BLOCKFUSE_CUDA_WGX=0 in the same
# binary), then timm efficientnet_b0 (torch_baseline.py) in the same call. The commands:
# bench/gpu_calls/wgx_ab.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/wgx_ab.sh
