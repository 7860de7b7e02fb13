#!/usr/bin/env bash
# Session 34 call 1: PASS1 of the small-image squeeze-excite blocks as mbconv_wg.cu's kernel
# (wgx: an image per CTA, the expand on warpgroup MMAs in one warpgroup beside a depthwise
# warp per output row, two frames handed over by named barriers). Checks: test_mbconv_wgx
# (new) alone, all kernel tests, gpu_backend_test; then two rounds of W (BLOCKFUSE_CUDA_WGX=1)
# and N (=0, the same binary) at 1, 8, 64, 256 with the tuner's log; memcheck and racecheck
# of test_mbconv_wgx; Nsight Compute of the forced wgx launches at 256.
exec > >(tee "$OUT/summary.txt") 2>&1
AB_ENV=BLOCKFUSE_CUDA_WGX AB_TEST=test_mbconv_wgx AB_TAG=wgx NCU_RE=mbconv_wgx . bench/gpu_calls/env_ab.sh
