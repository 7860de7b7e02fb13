#!/usr/bin/env bash
# Session 36 call 3 (branch wgx-taps 2nd commit): s36c2's copies in every instantiation, with one
# stage of the taps (the depthwise warps' named barrier between their reads and the next copy)
# and the sums of two chunks (written out a step later) instead of the image's, so that
# EfficientNet's 7x7 k = 5 blocks keep two CTAs per SM. The commands: wgxtp_ab.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/wgxtp_ab.sh
