#!/usr/bin/env bash
# Session 37 call 3 (branch wgx-rowslots: mbconv_wg.cu's depthwise rows store their channel sums
# into a slot each, [Ho][64], which warp 0 adds up a step later, instead of shared-memory float
# atomics): W = this build against B = main 92477b4's gpu_bench, with the checks first
# (gpu_backend_test stays behind: the carry limit). The commands: wgx_bin_ab.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/wgx_bin_ab.sh
