#!/usr/bin/env bash
# Session 23 call 2: Nsight Compute of PASS1 of stack1.block0 and stack1.block1 at batch 256
# (7d53d50's build, carried as .gpu/bin/gpu_bench_base): where their instructions go.
bench/gpu_bench.sh unpack || exit 1
xz -d -f .gpu/bin/gpu_bench_base.xz 2>/dev/null
cp -f .gpu/bin/gpu_bench_base .gpu/bin/gpu_bench
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader; date -u +%FT%TZ
. bench/gpu_calls/prof.sh
prof p1s1b0 "mbconv_kernel" 0
prof p1s1b1 "mbconv_kernel" 1
rm -f "$OUT"/raw_*.csv
date -u +%FT%TZ
