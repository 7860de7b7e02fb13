#!/usr/bin/env bash
# Session 9 call 14: the stem at batch 256 again (cf24898), as s9c12: Nsight Compute
# --set full of stem_mma_kernel in one run, its details page and its source page by opcode.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
ncu --profile-from-start off --cache-control none --clock-control none --set full \
  -k regex:stem_mma_kernel --launch-count 1 -o "$OUT/stem" \
  .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >/dev/null 2>&1
ncu -i "$OUT/stem.ncu-rep" --page details >"$OUT/stem_details.txt" 2>&1
ncu -i "$OUT/stem.ncu-rep" --page source --csv --print-source sass >"$OUT/stem_src.csv" 2>&1
python3 bench/ncu_source.py "$OUT/stem_src.csv" 1.0 >"$OUT/stem_src.txt" 2>&1
rm -f "$OUT/stem.ncu-rep"; xz -9 "$OUT/stem_src.csv"
grep -E "Duration|Throughput|Occupancy|Registers|Issue Slots|No Eligible|Warp Cycles Per Issued|L1/TEX Hit|L2 Hit|Active Warps" "$OUT/stem_details.txt" | head -40
head -40 "$OUT/stem_src.txt"
