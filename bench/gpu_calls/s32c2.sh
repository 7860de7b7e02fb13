#!/usr/bin/env bash
# Session 32 call 2: where the persistent kernel's (px_wgp_kernel) time goes on ConvNeXt-T's first
# 56x56 block at 256, against the row-warp kernel there: Nsight Compute's speed of light, memory,
# warp states and source counters of one launch of each (BLOCKFUSE_CUDA_PX forcing the kind).
. bench/gpu_calls/setup.sh
. bench/ncu_src.sh # the source page to bench/ncu_source.py (ncu_src)
C=/tmp/convnext_tiny
.gpu/bin/arch_model convnext_tiny $C || exit 1
for px in wgp rw; do
  k=$([ $px = wgp ] && echo px_wgp_kernel || echo px_rw_kernel)
  BLOCKFUSE_CUDA_PX=$px timeout 200 ncu --profile-from-start off --cache-control none \
    --clock-control none -k regex:$k --launch-count 1 --section SpeedOfLight \
    --section MemoryWorkloadAnalysis --section MemoryWorkloadAnalysis_Tables --section WarpStateStats \
    --section SourceCounters --section InstructionStats --section LaunchStats --section Occupancy \
    -o "$OUT/$px" .gpu/bin/gpu_bench $C --batches 256 --ncu-batch 256 >"$OUT/run_$px.log" 2>&1
  echo "ncu $px rc=$?"
  ncu -i "$OUT/$px.ncu-rep" --page details >"$OUT/det_$px.txt" 2>&1
  grep -E "Duration|Executed Ipc A|Issue Slots Busy|L1/TEX Hit|L2 Hit|Mem Busy|Max Bandwidth|DRAM Throughput|L1/TEX Cache Throughput|L2 Cache Throughput|Executed Instructions  |Registers Per|No Eligible|Active Warps Per|Eligible Warps" "$OUT/det_$px.txt" | head -30
  ncu_src "$OUT/$px.ncu-rep" "src_$px" 1.5
  head -70 "$OUT/src_$px.txt"
done
