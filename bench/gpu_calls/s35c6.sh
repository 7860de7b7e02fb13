#!/usr/bin/env bash
# Session 35 call 6 (main cda8958): where the wgx PASS1's time goes, for the next session's leads.
# Nsight Compute on mbconv_wg.cu's kernel at 256 as the tuner plans it: the third wgx launch of the
# profiled run (stack4.block1, 14x14, k = 5, 672 channels) and the sixth (stack5.block1, 7x7, k =
# 5, 1152): duration, issue, warp stalls, and the source counters by opcode and basic block.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/ncu_src.sh # the source page to bench/ncu_source.py (ncu_src)
for skip in 2 5; do
  timeout 200 ncu --profile-from-start off --cache-control none --clock-control none \
    -k regex:mbconv_wgx --launch-skip $skip --launch-count 1 --section SpeedOfLight \
    --section WarpStateStats --section SourceCounters --section InstructionStats \
    --section LaunchStats --section Occupancy --section SchedulerStats -o "$OUT/x$skip" \
    .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >"$OUT/ncu_run_$skip.log" 2>&1
  echo "== ncu wgx launch $skip rc=$?"
  ncu -i "$OUT/x$skip.ncu-rep" --page details >"$OUT/det_$skip.txt" 2>&1
  grep -E "Duration|Issue Slots Busy|DRAM Throughput|Executed Instructions  |Registers Per|No Eligible|Active Warps Per|Eligible Warps|Block Size|Grid Size|Dynamic Shared|Warp Cycles Per Issued|Issued Warp Per" "$OUT/det_$skip.txt" | head -20
  grep -iE "stall|cycles being" "$OUT/det_$skip.txt" | head -8
  ncu_src "$OUT/x$skip.ncu-rep" "src_$skip" 2
  head -50 "$OUT/src_$skip.txt" | cut -c1-160
done
date -u +%FT%TZ
