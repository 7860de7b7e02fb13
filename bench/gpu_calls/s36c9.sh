#!/usr/bin/env bash
# Session 36 call 9 (branch wgx-bexp): the wgx kernel's expand bias by cp.async a step ahead into
# shared memory (two stages of 64 fp32, threads 0-15), instead of eight 8-byte loads from L2 per
# thread and step. W = this build (.gpu/bin/gpu_bench), B = main 21e391b's (gpu_bench_base, the
# binary of s36c8), two rounds alternating (gpu_backend_test stays behind: the carry limit). The
# commands: wgx_bin_ab.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/wgx_bin_ab.sh
