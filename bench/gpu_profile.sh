#!/usr/bin/env bash
# Where the GPU time goes, on the GPU host (repo root, .gpu/ staged by
# `bench/gpu_bench.sh stage` and carried):
#   - nsys: the kernel timeline of graph replays at each batch in $BATCHES
#     (kernel durations and the gaps between them inside one replay);
#   - ncu: speed-of-light, occupancy, launch and warp-stall sections of every
#     kernel of one run at each batch in $NCU_BATCHES (caches and clocks left
#     as they are, so weights stay warm in L2 as they do in service).
#   - with NCU_SOURCE="REGEX SKIP BATCH" (e.g. "mbconv_kernel 3 256"): the
#     source-level counters of the SKIP-th launch (from 0) of the kernels
#     matching REGEX in one run at BATCH, summarised per SASS opcode and per
#     run of equally executed instructions by bench/ncu_source.py
#     (BATCHES=" " NCU_BATCHES=" " skip the timeline and the per-launch tables).
# Extra environment (e.g. BLOCKFUSE_CUDA_CLUSTER=1) passes through to gpu_bench.
# Output: $OUT/nsys_B*.txt, $OUT/ncu_B*.txt and, per launch, $OUT/ncu_table_B*.txt;
# with NCU_SOURCE, $OUT/ncu_source.txt (and the raw page, xz-packed).
set -u
bench/gpu_bench.sh unpack || exit 1 # the staged binaries travel packed
OUT=${OUT:-/tmp/blockfuse-gpu}
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
mkdir -p "$OUT"
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="/usr/local/cuda/bin:$PATH"
for B in ${BATCHES:-1 256}; do
  if command -v nsys >/dev/null; then
    nsys profile -q -o "$OUT/tl_B$B" --force-overwrite true --cuda-graph-trace=node -t cuda \
      .gpu/bin/gpu_bench "$M" --batches "$B" --iters 20 >/dev/null 2>&1
    nsys stats -q -r cuda_gpu_trace -f csv "$OUT/tl_B$B.nsys-rep" >"$OUT/nsys_B$B.csv" 2>&1
    rm -f "$OUT/tl_B$B.nsys-rep" "$OUT/tl_B$B.sqlite"
  else
    echo "no nsys" >"$OUT/nsys_B$B.csv"
  fi
done
for B in ${NCU_BATCHES:-1 256}; do
  ncu --profile-from-start off --cache-control none --clock-control none \
    --section SpeedOfLight --section LaunchStats --section Occupancy --section WarpStateStats \
    --section MemoryWorkloadAnalysis \
    .gpu/bin/gpu_bench "$M" --batches "$B" --ncu-batch "$B" >"$OUT/ncu_B$B.txt" 2>&1
  python3 bench/ncu_table.py "$OUT/ncu_B$B.txt" >"$OUT/ncu_table_B$B.txt"
done
if [ -n "${NCU_SOURCE:-}" ]; then
  read -r kre kskip kb <<<"$NCU_SOURCE"
  ncu --profile-from-start off --cache-control none --clock-control none -k "regex:$kre" \
    --launch-skip "${kskip:-0}" --launch-count 1 --section WarpStateStats --section SourceCounters \
    --section InstructionStats -o "$OUT/ncu_source" \
    .gpu/bin/gpu_bench "$M" --batches "${kb:-256}" --ncu-batch "${kb:-256}" >"$OUT/ncu_source.log" 2>&1
  . bench/ncu_src.sh
  ncu_src "$OUT/ncu_source.ncu-rep" ncu_source
fi
ls -la "$OUT"
