#!/usr/bin/env bash
# Session 34 call 7: s34c6's A/B and sanitizers on the build whose wgx kernel also takes images of
# up to 16 rows of 14 columns (two expand warpgroups over 64-pixel m-tiles: EfficientNet's 14x14
# stride-1 blocks), test_mbconv_wgx with three 14-column cases. The commands:
# bench/gpu_calls/env_ab.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
AB_ENV=BLOCKFUSE_CUDA_WGX AB_TEST=test_mbconv_wgx AB_TAG=wgx . bench/gpu_calls/env_ab.sh
