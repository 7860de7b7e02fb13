#!/usr/bin/env bash
# Session 35 call 3: mbconv_wg.cu's depthwise warps store their row's channel sums as a tile of
# the sums (the output rows as the tiles; fp16-pair sums per thread) instead of adding them to
# the image's by shared-memory float atomics (compare-and-swap loops, every row of a step on the
# same 64 channels; s35c2 measured the same change in mbconv_wgb.cu). s34c9's A/B, checks and
# sanitizers (env_ab.sh: W the tuner free to take wgx, N = BLOCKFUSE_CUDA_WGX=0 in the same
# binary), then timm efficientnet_b0 (torch_baseline.py) in the same call.
exec > >(tee "$OUT/summary.txt") 2>&1
AB_ENV=BLOCKFUSE_CUDA_WGX AB_TEST=test_mbconv_wgx AB_TAG=wgx . bench/gpu_calls/env_ab.sh
awk '$0 ~ "per-block roofline, batch 256 " {p=1} p' "$OUT/ab_W.txt" | head -24
timeout 330 python3 .gpu/torch_baseline.py --batches 1,8,64,256 --iters 50 >"$OUT/torch_b0.log" 2>&1
echo "torch rc=$?"
grep -v -i "warn" "$OUT/torch_b0.log" | tail -14
date -u +%FT%TZ
