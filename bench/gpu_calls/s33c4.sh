#!/usr/bin/env bash
# Session 33 call 4: where px_dw_mma's time goes. Nsight Compute on ConvNeXt-T's first block
# (56x56) at 256 in the tile kernel (BLOCKFUSE_CUDA_PX=tile), with the depthwise conv on tensor
# cores (BLOCKFUSE_CUDA_DWM=force) and without (=0): duration, issue, stalls, and the source
# counters by opcode and by basic block (bench/ncu_source.py). s33c3's build. (Its first run matched
# the stem's px_kernel, the CONV mode: it now skips that first launch.)
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/ncu_src.sh # the source page to bench/ncu_source.py (ncu_src)
C=/tmp/convnext_tiny
.gpu/bin/arch_model convnext_tiny $C || exit 1
for d in force 0; do
  BLOCKFUSE_CUDA_PX=tile BLOCKFUSE_CUDA_DWM=$d timeout 200 ncu --profile-from-start off \
    --cache-control none --clock-control none -k regex:px_kernel --launch-skip 1 --launch-count 1 \
    --section SpeedOfLight --section MemoryWorkloadAnalysis --section WarpStateStats \
    --section SourceCounters --section InstructionStats --section LaunchStats --section Occupancy \
    -o "$OUT/d$d" .gpu/bin/gpu_bench $C --batches 256 --ncu-batch 256 >"$OUT/run_$d.log" 2>&1
  echo "== ncu dwm=$d rc=$?"
  ncu -i "$OUT/d$d.ncu-rep" --page details >"$OUT/det_$d.txt" 2>&1
  grep -E "Duration|Executed Ipc A|Issue Slots Busy|L1/TEX Hit|L2 Hit|Mem Busy|DRAM Throughput|L1/TEX Cache Throughput|Executed Instructions  |Registers Per|No Eligible|Active Warps Per|Eligible Warps|Achieved Occupancy|Block Limit Shared|Dynamic Shared" "$OUT/det_$d.txt" | head -30
  grep -iE "stall|warp cycles per issued" "$OUT/det_$d.txt" | head -12
  ncu_src "$OUT/d$d.ncu-rep" "src_$d" 2
  head -45 "$OUT/src_$d.txt"
done
