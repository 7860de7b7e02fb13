#!/usr/bin/env bash
# Session 27 call 2: where the high-resolution blocks' first pass goes at batch 256 (main,
# 2dec319): the full sections (bench/gpu_calls/prof.sh) of the first three PASS1 launches,
# stack1.block0's (112x112 -> 56x56, stride 2, cc 32, dw_vec, staged: ~328 us),
# stack1.block1's (56x56, strips of one row: ~270 us) and stack2.block0's (56 -> 28, ~220 us).
. bench/gpu_calls/setup.sh
. bench/gpu_calls/prof.sh
prof s1b0 "mbconv_kernel" 0 | head -70
prof s1b1 "mbconv_kernel" 1 | head -50
prof s2b0 "mbconv_kernel" 2 | head -50
rm -f "$OUT"/raw_*.csv
date -u +%FT%TZ
