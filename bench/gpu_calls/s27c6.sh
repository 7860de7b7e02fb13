#!/usr/bin/env bash
# Session 27 call 6: where the warpgroup-MMA pass-2 GEMMs wait at batch 256 (main's kernels):
# the full sections (bench/gpu_calls/prof.sh) of the wg launches of stack4.block1 (14x14, K
# 672, N 112: the 7th wg launch), stack5.block1 (7x7, K 1152, N 192: the 10th) and
# stack1.block1 (56x56, K 144, N 24: the 1st). They run at 1.4-2.6 TB/s where the narrow
# GEMM reaches 3.65.
. bench/gpu_calls/setup.sh
. bench/gpu_calls/prof.sh
prof s4b1 "pixel_gemm_wg_kernel" 6 | head -60
prof s5b1 "pixel_gemm_wg_kernel" 9 | head -45
prof s1b1 "pixel_gemm_wg_kernel" 0 | head -45
rm -f "$OUT"/raw_*.csv
date -u +%FT%TZ
