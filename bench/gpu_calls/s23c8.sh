#!/usr/bin/env bash
# Session 23 call 8: Nsight Compute of the narrow pass-2 GEMM on stack0.block0 at batch 256
# (5b90c12's staged build): what bounds it at ~3.1 TB/s.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader; date -u +%FT%TZ
. bench/gpu_calls/prof.sh
prof narrow "pixel_gemm_narrow_kernel" 0
grep -E "DRAM Throughput|Memory Throughput|L1/TEX Hit|L2 Hit|Achieved Occupancy|Theoretical Occupancy|Block Limit|Waves Per SM|Grid Size" "$OUT/det_narrow.txt" | cut -c1-120
rm -f "$OUT"/raw_*.csv "$OUT"/sass_*.xz
date -u +%FT%TZ
