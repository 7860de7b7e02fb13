#!/usr/bin/env bash
# Session 25 call 7: where the head's time goes after the FC's prefetch (main, 670d990's
# kernels). Nsight Compute at 256 of the head's pooling GEMM (pixel_gemm_kernel<4, 8, 1>:
# 128 rows x 128 columns per CTA, K 320, 980 CTAs) and of the FC (gemm_kernel), the SASS
# source pages kept.
. bench/gpu_calls/setup.sh
. bench/gpu_calls/prof.sh
prof headgemm "pixel_gemm_kernel<\(int\)4, \(int\)8, \(int\)1>" 0 | head -70
prof fc "bf::gemm_kernel" 0 | head -30
rm -f "$OUT"/raw_*.csv
date -u +%FT%TZ
