#!/usr/bin/env bash
# Session 36 call 2 (branch wgx-taps 1st commit): mbconv_wg.cu's depthwise warps copy each
# chunk's taps and bias into shared memory a step ahead (cp.async, two stages), where the stages
# fit without costing a CTA per SM, instead of loading them from L2 at each step's start (s35c6:
# ~300 of a 14-wide k = 5 row's 983 instructions were that address arithmetic and loads). The
# commands: wgxtp_ab.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/wgxtp_ab.sh
