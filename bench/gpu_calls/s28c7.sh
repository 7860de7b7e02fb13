#!/usr/bin/env bash
# Session 28 call 7: how busy a 7x7 block's warpgroup-MMA pass-2 GEMM keeps the tensor pipe
# and DRAM (main's build, 409cd5c's kernels): Nsight Compute on the second launch of
# pixel_gemm_wg_kernel<2, 12> (128 rows, 192 columns: stack5.block0 .. block3 at 256, so
# stack5.block1) of gpu_bench's profiled run at 256, with the compute and memory sections and
# the gmma pipe's active cycles.
. bench/gpu_calls/setup.sh
timeout 150 ncu --profile-from-start off --cache-control none --clock-control none \
  --kernel-name-base demangled -k "regex:pixel_gemm_wg_kernel<(\\(int\\))?2, (\\(int\\))?12>" --launch-skip 1 --launch-count 1 \
  --section SpeedOfLight --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis \
  --section Occupancy --section LaunchStats --section WarpStateStats \
  --metrics sm__pipe_tensor_op_gmma_cycles_active.avg.pct_of_peak_sustained_active,sm__pipe_tensor_op_gmma_cycles_active.avg.pct_of_peak_sustained_elapsed,sm__cycles_active.avg,gpc__cycles_elapsed.max,dram__bytes_read.sum,dram__bytes_write.sum,lts__t_bytes.sum,sm__inst_executed_pipe_uniform.sum,smsp__inst_executed.sum \
  -o /tmp/p_wg .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >/tmp/ncu_wg.log 2>&1
echo "ncu rc=$?"; grep -E "==PROF==|==ERROR==|==WARNING==" /tmp/ncu_wg.log | head -5
ncu -i /tmp/p_wg.ncu-rep --page details >"$OUT/det_wg.txt"
grep -E "pixel_gemm|Duration|Throughput|Busy|Pipe|gmma|Warp Cycles|Eligible|Issued|dram__|lts__|sm__|Occupancy|Registers|Grid Size|Block Size" "$OUT/det_wg.txt" | cut -c1-130 | head -70
date -u +%FT%TZ
