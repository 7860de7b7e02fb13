#!/usr/bin/env bash
# Session 35 call 5 (branch wgb): mbconv_wgb.cu with depthwise strips of 7 outputs by 8 channels
# a lane (16-byte loads of the ring, the taps in shared memory, the four strips of a warp summed
# by shuffles; s35c2's Nsight Compute had the strips of one channel pair at ~645 instructions per
# 14 outputs): s35c2's checks, A/B and Nsight Compute on stack1.block1's PASS1 as wgb (forced).
# It ran on branch wgb (9088ce5 there), whose copy has the commands inline; here they are
# bench/gpu_calls/wgb_ab.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/wgb_ab.sh
