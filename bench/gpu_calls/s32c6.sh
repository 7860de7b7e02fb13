#!/usr/bin/env bash
# Session 32 call 6: where ConvNeXt-T's LayerNorm stem and first downsample spend their time at 256
# (main cc05db7's kernels): Nsight Compute's speed of light, memory, warp states and source
# counters of one launch of each (px_kernel's CONV builds).
. bench/gpu_calls/setup.sh
. bench/ncu_src.sh # the source page to bench/ncu_source.py (ncu_src)
C=/tmp/convnext_tiny
.gpu/bin/arch_model convnext_tiny $C || exit 1
for skip in 0 1; do
  timeout 200 ncu --profile-from-start off --cache-control none --clock-control none \
    -k regex:px_kernel --launch-skip $skip --launch-count 1 --section SpeedOfLight \
    --section MemoryWorkloadAnalysis --section WarpStateStats --section SourceCounters \
    --section LaunchStats --section Occupancy \
    -o "$OUT/c$skip" .gpu/bin/gpu_bench_base $C --batches 256 --ncu-batch 256 >"$OUT/run_$skip.log" 2>&1
  echo "ncu $skip rc=$?"
  ncu -i "$OUT/c$skip.ncu-rep" --page details >"$OUT/det_$skip.txt" 2>&1
  grep -E "px_kernel|Duration|Issue Slots Busy|L1/TEX Hit|L2 Hit|DRAM Throughput|Executed Instructions  |Registers Per|Eligible Warps|Achieved Active Warps|Block Limit|Waves Per SM" "$OUT/det_$skip.txt" | head -20
  ncu_src "$OUT/c$skip.ncu-rep" "src_$skip" 2
  head -45 "$OUT/src_$skip.txt"
done
