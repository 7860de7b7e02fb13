#!/usr/bin/env bash
# Session 11 call 5: where stack1's two PASS1 launches (the first two mbconv_kernel launches of
# a batch-256 run, 1.1 ms of the graph with their pass 2) spend their instructions: launch
# statistics, warp states and source counters (bench/ncu_source.py) of each.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
date -u +%FT%TZ
NCU="ncu --profile-from-start off --cache-control none --clock-control none"
for skip in 0 1; do
  timeout 150 $NCU -k "regex:mbconv_kernel" --launch-skip $skip --launch-count 1 --section LaunchStats \
    --section WarpStateStats --section SourceCounters --section InstructionStats --section Occupancy \
    --section SpeedOfLight -o "$OUT/src$skip" .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >/dev/null 2>&1
  ncu -i "$OUT/src$skip.ncu-rep" --page details --section LaunchStats --section SpeedOfLight \
    --section Occupancy --section WarpStateStats >"$OUT/det$skip.txt"
  grep -E "Grid Size|Block Size|Registers|Dynamic Shared|Duration|Executed Ipc A|Achieved Occ|Theoretical Occ|Stall|Warp Cycles Per Issued" "$OUT/det$skip.txt" | head -30
  ncu -i "$OUT/src$skip.ncu-rep" --page source --csv --print-source sass >"$OUT/src$skip.csv" &&
    python3 bench/ncu_source.py "$OUT/src$skip.csv" 0.7 >"$OUT/src$skip.txt"
  head -60 "$OUT/src$skip.txt"
  rm -f "$OUT/src$skip.ncu-rep" "$OUT/src$skip.csv"
done
date -u +%FT%TZ
