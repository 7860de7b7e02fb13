#!/usr/bin/env bash
# Session 34 call 6: s34c5's A/B and sanitizers on the build without the expand warpgroup's named
# barrier (the next chunk's We copies are issued after the CTA barrier that ends each step; s34c5's
# racecheck still reported the frames' hand-over). The commands: bench/gpu_calls/env_ab.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
AB_ENV=BLOCKFUSE_CUDA_WGX AB_TEST=test_mbconv_wgx AB_TAG=wgx . bench/gpu_calls/env_ab.sh
