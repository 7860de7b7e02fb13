#!/usr/bin/env bash
# Session 36 call 11 (main, the review's mends: mbconv_wg.cu's taps copy writes piece i at
# taps + 8 i; its machine code changed): W = this build against B = main 21e391b's gpu_bench (the
# binary of s36c8, whose kernels the review started from), with the checks first
# (gpu_backend_test stays behind: the carry limit). The commands: wgx_bin_ab.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/wgx_bin_ab.sh
