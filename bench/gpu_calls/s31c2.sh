#!/usr/bin/env bash
# Session 31 call 2: where the pixel-tile MLP blocks' time goes at batch 256 (convnext_tiny):
# gpu_bench's per-block table with each kernel kind forced (BLOCKFUSE_CUDA_PX=tile, rw, wg),
# Nsight Compute's speed of light, occupancy and warp stalls of every px launch of one run
# (wg forced, then the tuner's own choice), and the source counters of the wg kernel on a
# 56x56 block and a 14x14 block.
. bench/gpu_calls/setup.sh
C=/tmp/convnext_tiny
.gpu/bin/arch_model convnext_tiny $C || exit 1
for px in tile rw wg; do
  BLOCKFUSE_CUDA_PX=$px timeout 100 .gpu/bin/gpu_bench $C --batches 256 --iters 20 \
    >"$OUT/bench_$px.log" 2>&1
  echo "== $px rc=$? $(sed -n 5p "$OUT/bench_$px.log")"
  grep -E "^(stem|stage[0-3]\.(block0|down)|head|total) " "$OUT/bench_$px.log" | tail -10
done
for px in wg auto; do
  BLOCKFUSE_CUDA_PX=$px timeout 150 ncu --profile-from-start off --cache-control none \
    --clock-control none -k regex:px_ --section SpeedOfLight --section LaunchStats \
    --section Occupancy --section WarpStateStats --section MemoryWorkloadAnalysis \
    .gpu/bin/gpu_bench $C --batches 256 --ncu-batch 256 >"$OUT/ncu_$px.txt" 2>&1
  echo "ncu $px rc=$?"
  python3 bench/ncu_table.py "$OUT/ncu_$px.txt" >"$OUT/ncu_table_$px.txt" 2>&1
  head -30 "$OUT/ncu_table_$px.txt"
done
for skip in 0 6; do
  BLOCKFUSE_CUDA_PX=wg timeout 120 ncu --profile-from-start off --cache-control none \
    --clock-control none -k regex:px_wg_kernel --launch-skip $skip --launch-count 1 \
    --section WarpStateStats --section SourceCounters --section InstructionStats \
    -o "$OUT/src$skip" .gpu/bin/gpu_bench $C --batches 256 --ncu-batch 256 >/dev/null 2>&1
  echo "ncu source $skip rc=$?"
  ncu -i "$OUT/src$skip.ncu-rep" --page source --csv --print-source sass >"$OUT/src$skip.csv" &&
    python3 bench/ncu_source.py "$OUT/src$skip.csv" >"$OUT/src$skip.txt"
  rm -f "$OUT/src$skip.ncu-rep"
  xz -f -9 "$OUT/src$skip.csv"
  head -40 "$OUT/src$skip.txt"
done
