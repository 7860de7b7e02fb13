#!/usr/bin/env bash
# Session 33 call 6: where the downsample's time goes, and why s33c5's chunk-ahead gather lost.
# Nsight Compute on ConvNeXt-T's stage1.down at 256 (the second px_kernel launch, after the
# stem's): main's build (B, .gpu/bin/gpu_bench_base) and s33c5's (W, .gpu/bin/gpu_bench).
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/ncu_src.sh # the source page to bench/ncu_source.py (ncu_src)
C=/tmp/convnext_tiny
.gpu/bin/arch_model convnext_tiny $C || exit 1
for side in B W; do
  b=$([ $side = W ] && echo gpu_bench || echo gpu_bench_base)
  timeout 200 ncu --profile-from-start off --cache-control none --clock-control none \
    -k regex:px_kernel --launch-skip 1 --launch-count 1 --section SpeedOfLight \
    --section MemoryWorkloadAnalysis --section WarpStateStats --section SourceCounters \
    --section InstructionStats --section LaunchStats --section Occupancy \
    -o "$OUT/$side" .gpu/bin/$b $C --batches 256 --ncu-batch 256 >"$OUT/run_$side.log" 2>&1
  echo "== ncu $side rc=$?"
  ncu -i "$OUT/$side.ncu-rep" --page details >"$OUT/det_$side.txt" 2>&1
  grep -E "Duration|Issue Slots Busy|L1/TEX Hit|L2 Hit|DRAM Throughput|Executed Instructions  |Registers Per|Active Warps Per|Eligible Warps|Achieved Occupancy|Block Limit|Dynamic Shared|Warp Cycles Per Issued" "$OUT/det_$side.txt" | head -20
  ncu_src "$OUT/$side.ncu-rep" "src_$side" 3
  head -34 "$OUT/src_$side.txt" | cut -c1-150
done
