#!/usr/bin/env bash
# Sourced by s36c2 and s36c3 (branch wgx-taps; on the GPU host, repo root, .gpu/ carried, after
# `exec > >(tee "$OUT/summary.txt") 2>&1`): test_mbconv_wgx without the taps' copies first
# (BLOCKFUSE_CUDA_WGXTP=0: the other instantiations), then env_ab.sh with W = the copies, N =
# BLOCKFUSE_CUDA_WGXTP=0 in the same binary, and W's per-block table at 256.
. bench/gpu_calls/setup.sh
BLOCKFUSE_CUDA_WGXTP=0 BLOCKFUSE_TEST_FILTER=test_mbconv_wgx timeout 60 .gpu/bin/gpu_kernels_test >"$OUT/k_notp.log" 2>&1
echo "test_mbconv_wgx without the copies rc=$? $(grep -c 'rel err' "$OUT/k_notp.log") checks, max $(grep ' wgx ' "$OUT/k_notp.log" | awk '{print $NF}' | sort -g | tail -1)"
AB_ENV=BLOCKFUSE_CUDA_WGXTP AB_TEST=test_mbconv_wgx AB_TAG=wgx . bench/gpu_calls/env_ab.sh
awk '$0 ~ "per-block roofline, batch 256 " {p=1} p' "$OUT/ab_W.txt" | head -24
