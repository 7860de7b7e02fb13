#!/usr/bin/env bash
# Session 9 call 1: where batch 256 goes in the large-image blocks (stack0-stack2):
# Nsight Compute --set full on the first 10 MBConv-tile / pixel-GEMM launches of one
# run at batch 256, and source counters of stack0.block0's PASS1 and of
# stack1.block1's pass-2 pixel GEMM.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv
date -u +%FT%TZ
.gpu/bin/gpu_bench $M --batches 256 --iters 20 >"$OUT/bench.txt" 2>&1
grep -A3 "batch " "$OUT/bench.txt" | head; grep "bucket 256" "$OUT/bench.txt" | head -8
NCU="ncu --profile-from-start off --cache-control none --clock-control none"
timeout 300 $NCU --set full -k "regex:mbconv_kernel|pixel_gemm" --launch-count 10 -o "$OUT/full" \
  .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >"$OUT/full.log" 2>&1
ncu -i "$OUT/full.ncu-rep" --page details >"$OUT/full_details.txt" 2>&1
ncu -i "$OUT/full.ncu-rep" --page raw --csv --metrics \
  gpu__time_duration.sum,sm__throughput.avg.pct_of_peak_sustained_elapsed,dram__throughput.avg.pct_of_peak_sustained_elapsed,smsp__inst_executed.sum,sm__warps_active.avg.pct_of_peak_sustained_active,l1tex__data_pipe_lsu_wavefronts_mem_shared.sum,smsp__issue_active.avg.pct_of_peak_sustained_active,launch__registers_per_thread,launch__occupancy_limit_shared_mem,launch__grid_size \
  >"$OUT/full_raw.csv" 2>&1
for spec in "mbconv_kernel 0 pass1_s0" "pixel_gemm 1 pg_s1b1" "mbconv_kernel 2 pass1_s1b0"; do
  read -r kre skip name <<<"$spec"
  timeout 120 $NCU -k "regex:$kre" --launch-skip $skip --launch-count 1 --section WarpStateStats \
    --section SourceCounters --section InstructionStats -o "$OUT/$name" \
    .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >"$OUT/$name.log" 2>&1
  ncu -i "$OUT/$name.ncu-rep" --page source --csv --print-source sass >"$OUT/$name.csv" &&
    python3 bench/ncu_source.py "$OUT/$name.csv" 0.5 >"$OUT/$name.txt"
  rm -f "$OUT/$name.ncu-rep"; xz -9 -f "$OUT/$name.csv"
done
xz -9 -f "$OUT/full.ncu-rep"
ls -la "$OUT"
date -u +%FT%TZ
