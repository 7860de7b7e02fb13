#!/usr/bin/env bash
# Session 37 call 1 (branch wgx-sefold): mbconv_wg.cu's PASS1 computing the SE gates itself
# (sefold: no SE kernel after it). env_ab.sh with BLOCKFUSE_CUDA_SEFOLD (W = 1, timed beside the
# SE kernel; N = 0, never; the same binary): test_mbconv_wgx first, every kernel test, the network
# against the CPU backend, two rounds of W / N at 1, 8, 64, 256, memcheck and racecheck of
# test_mbconv_wgx; then the tuner's wgx lines at 64 and 256 of W's first round.
exec > >(tee "$OUT/summary.txt") 2>&1
AB_ENV=BLOCKFUSE_CUDA_SEFOLD AB_TEST=test_mbconv_wgx AB_TAG=sefold . bench/gpu_calls/env_ab.sh
grep -E "^tune .* batch (64|256): pass1 wgx" "$OUT/ab_W.txt" | head -80
awk '$0 ~ "per-block roofline, batch 256 " {p=1} p' "$OUT/ab_W.txt" | head -24
date -u +%FT%TZ
