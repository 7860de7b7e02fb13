#!/usr/bin/env bash
# Session 12 call 2: where batch 256 goes now (02e4e42's kernels): Nsight Compute speed of light,
# occupancy and warp states of every launch of one batch-256 run (bench/gpu_profile.sh), then the
# source counters of the first two streaming pass-2 GEMM launches (stack0.block0, stack1.block0).
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
date -u +%FT%TZ
OUT=/tmp/p BATCHES=" " NCU_BATCHES=256 timeout 300 bench/gpu_profile.sh >/dev/null 2>&1
echo "gpu_profile rc=$?"
cp /tmp/p/ncu_table_B256.txt "$OUT/" && cat /tmp/p/ncu_table_B256.txt
xz -9 -c /tmp/p/ncu_B256.txt >"$OUT/ncu_B256.txt.xz"
date -u +%FT%TZ
NCU="ncu --profile-from-start off --cache-control none --clock-control none"
for skip in 0 1; do
  timeout 100 $NCU -k "regex:pixel_gemm_stream" --launch-skip $skip --launch-count 1 --section LaunchStats \
    --section WarpStateStats --section SourceCounters --section InstructionStats --section Occupancy \
    --section SpeedOfLight --section MemoryWorkloadAnalysis -o "/tmp/src$skip" .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >/dev/null 2>&1
  ncu -i "/tmp/src$skip.ncu-rep" --page details >"$OUT/det$skip.txt"
  grep -E "Grid Size|Block Size|Registers|Dynamic Shared|Duration|Executed Ipc A|Achieved Occ|Theoretical Occ|Stall|Warp Cycles Per Issued|DRAM Through|Memory Through|L2 Hit|Issue Slots" "$OUT/det$skip.txt" | head -30
  ncu -i "/tmp/src$skip.ncu-rep" --page source --csv --print-source sass >"/tmp/src$skip.csv" &&
    python3 bench/ncu_source.py "/tmp/src$skip.csv" 0.7 >"$OUT/src$skip.txt"
  head -70 "$OUT/src$skip.txt"
done
date -u +%FT%TZ
