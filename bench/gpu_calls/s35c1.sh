#!/usr/bin/env bash
# Session 35 call 1: the first run of mbconv_wgb.cu (PASS1 in bands of rows: a CTA per group of
# output rows of an image, the expand on warpgroup MMAs into a ring of input rows beside
# depthwise warps on strips): test_mbconv_wgb alone, the kernel tests and the network, then the
# A/B of the tuner free to take it (W) against BLOCKFUSE_CUDA_WGB=0 (N) in the same binary,
# memcheck and racecheck of test_mbconv_wgb. The commands: bench/gpu_calls/env_ab.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
AB_ENV=BLOCKFUSE_CUDA_WGB AB_TEST=test_mbconv_wgb AB_TAG=wgb . bench/gpu_calls/env_ab.sh
awk '$0 ~ "per-block roofline, batch 256 " {p=1} p' "$OUT/ab_W.txt" | head -24
grep -E "^tune stack[12]\.block[01] batch 256: pass1 (wgb|tile .*ranked)" "$OUT/ab_W.txt" | head -80
date -u +%FT%TZ
