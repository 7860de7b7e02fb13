#!/usr/bin/env bash
# Session 24 call 6: where PASS1's branch-resolution stalls sit (s23c2: 22 % of
# stack1.block0's PASS1 stall samples on BRA). Nsight Compute of PASS1 of stack1.block0,
# stack2.block0 and stack4.block1 at 256 (s24c5's staged build, whose PASS1 is 1deebe2's), the SASS source pages kept.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader; date -u +%FT%TZ
. bench/gpu_calls/prof.sh
prof p1s1b0 "mbconv_kernel" 0 | head -40
prof p1s2b0 "mbconv_kernel" 2 | head -40
prof p1s4b1 "mbconv_kernel" 8 | head -40
rm -f "$OUT"/raw_*.csv
date -u +%FT%TZ
