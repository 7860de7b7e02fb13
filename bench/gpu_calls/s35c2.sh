#!/usr/bin/env bash
# Session 35 call 2: mbconv_wgb.cu with a row of channel sums per depthwise warp (s35c1's shared-
# memory float atomics, every warp of a step on the same 64 channels, are compare-and-swap loops)
# and the option of an expand warpgroup per m-tile: s35c1's checks and A/B (env_ab.sh), then
# Nsight Compute on stack1.block1's PASS1 as wgb (forced) at 256: duration, issue, warp stalls,
# and the source counters by opcode and basic block (bench/ncu_source.py). The commands:
# bench/gpu_calls/wgb_ab.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/wgb_ab.sh
