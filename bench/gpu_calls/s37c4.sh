#!/usr/bin/env bash
# Session 37 call 4 (branch head-wg): the head's pooling GEMM on warpgroup MMAs (pixel_gemm_wg.cu
# with its pooling epilogue). env_ab.sh with BLOCKFUSE_CUDA_HEADWG (W = 1: at every batch; N = 0:
# pixel_gemm.cu's; the same binary): test_head first, every kernel test, the network against the
# CPU backend, two rounds of W / N at 1, 8, 64, 256, memcheck and racecheck of test_head; then
# the head's row of W's and N's per-block tables at 256.
exec > >(tee "$OUT/summary.txt") 2>&1
AB_ENV=BLOCKFUSE_CUDA_HEADWG AB_TEST=test_head AB_TAG=wg . bench/gpu_calls/env_ab.sh
for f in W N W2 N2; do echo "$f $(grep -E '^head ' "$OUT/ab_$f.txt" | head -4 | tr -s ' ' | tr '\n' '|')"; done
date -u +%FT%TZ
