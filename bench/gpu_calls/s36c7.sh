#!/usr/bin/env bash
# Session 36 call 7 (main 21e391b: the copied taps): where the wgx PASS1's time goes now, as s35c6
# measured before the change. Nsight Compute (prof.sh: speed of light, launch, occupancy, warp
# states, source counters, sampled stall reasons) on mbconv_wg.cu's kernel at 256 as the tuner
# plans it: its 4th launch (stack4.block1, 14x14, k = 5, 672 channels) and 7th (stack5.block1,
# 7x7, k = 5, 1152).
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/gpu_calls/prof.sh
prof s4b1 mbconv_wgx 3
prof s5b1 mbconv_wgx 6
date -u +%FT%TZ
