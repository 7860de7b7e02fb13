#!/usr/bin/env bash
# Session 12 call 7: where the per-tile pass-2 GEMM of a 7x7 block spends its slices (the
# session's kept kernels, staged from the commit RESULTS.md names): Nsight Compute details and
# source counters of the second pixel_gemm_kernel<2, 6, 0> launch of a batch-256 run
# (stack5.block1's: M 12 544, N 192 in 2 column splits, K 1 152), read with bench/ncu_source.py.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
date -u +%FT%TZ
timeout 200 ncu --profile-from-start off --cache-control none --clock-control none \
  --kernel-name-base demangled -k "regex:pixel_gemm_kernel<.int.2, .int.6, .int.0>" --launch-skip 1 --launch-count 1 \
  --section LaunchStats --section WarpStateStats --section SourceCounters --section InstructionStats \
  --section Occupancy --section SpeedOfLight --section MemoryWorkloadAnalysis -o /tmp/g56 \
  .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >/tmp/ncu.log 2>&1
echo "ncu rc=$?"; tail -3 /tmp/ncu.log
ncu -i /tmp/g56.ncu-rep --page details >"$OUT/det.txt"
grep -E "void|Grid Size|Block Size|Registers|Dynamic Shared|Duration|Elapsed Cycles|SM Active|Executed Ipc A|Issue Slots|Achieved Occ|Theoretical Occ|Warp Cycles Per Issued|DRAM Through|L1/TEX Hit|L2 Hit|Memory Through|Waves" "$OUT/det.txt" | head -30
grep -A3 -E "Est. (Local )?Speedup" "$OUT/det.txt" | head -40
ncu -i /tmp/g56.ncu-rep --page source --csv --print-source sass >/tmp/g56.csv &&
  python3 bench/ncu_source.py /tmp/g56.csv 0.7 >"$OUT/src.txt"
head -80 "$OUT/src.txt"
date -u +%FT%TZ
