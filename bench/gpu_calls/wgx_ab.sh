#!/usr/bin/env bash
# Sourced by the calls on builds of mbconv_wg.cu (s35c3, s35c7), on the GPU host, repo root, .gpu/
# carried, after `exec > >(tee "$OUT/summary.txt") 2>&1`: env_ab.sh's checks, A/B and sanitizers
# with BLOCKFUSE_CUDA_WGX (test_mbconv_wgx), the per-block table at 256, then timm
# efficientnet_b0 (torch_baseline.py) in the same call. Logs: env_ab.sh's, $OUT/torch_b0.log.
AB_ENV=BLOCKFUSE_CUDA_WGX AB_TEST=test_mbconv_wgx AB_TAG=wgx . bench/gpu_calls/env_ab.sh
awk '$0 ~ "per-block roofline, batch 256 " {p=1} p' "$OUT/ab_W.txt" | head -24
timeout 330 python3 .gpu/torch_baseline.py --batches 1,8,64,256 --iters 50 >"$OUT/torch_b0.log" 2>&1
echo "torch rc=$?"
grep -v -i "warn" "$OUT/torch_b0.log" | tail -14
date -u +%FT%TZ
