#!/usr/bin/env bash
# Session 18 call 1: where batch 256 goes at 424bef8's kernels (staged build 3fd0a1d; 424bef8
# changed no PTX): the tuner's plans, Nsight Compute's per-launch table, and the source counters
# of three launches: stack4.block1's PASS1 (mbconv_kernel launch 8), the head's pooling GEMM
# and one 7x7 block's pass 2 (named from the table). GPU host, repo root, .gpu/ carried.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
date -u +%FT%TZ
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
.gpu/bin/gpu_bench $M --batches 256 --iters 20 >"$OUT/bench256.txt" 2>&1
sed -n '/plans at batch/,$p' "$OUT/bench256.txt" | cut -c1-200
grep -E "^stack|^stem|^head|^total" "$OUT/bench256.txt" | head -30
OUT=$OUT BATCHES=" " NCU_BATCHES="256" bash bench/gpu_profile.sh >/dev/null 2>&1
cat "$OUT/ncu_table_B256.txt"
prof() { # name regex skip
  timeout 150 ncu --profile-from-start off --cache-control none --clock-control none \
    --kernel-name-base demangled -k "regex:$2" --launch-skip "$3" --launch-count 1 --section LaunchStats --section WarpStateStats \
    --section SourceCounters --section InstructionStats --section SpeedOfLight --section Occupancy \
    -o "/tmp/p_$1" .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >"/tmp/ncu_$1.log" 2>&1
  echo "== $1 ncu rc=$?"
  ncu -i "/tmp/p_$1.ncu-rep" --page source --csv --print-source sass >"/tmp/sass_$1.csv"
  ncu -i "/tmp/p_$1.ncu-rep" --page details >"$OUT/det_$1.txt"
  grep -E "  [a-z_]+<.*\(|Duration|Warp Cycles Per Issued|Issue Slots|Executed Instructions  |Registers Per|Achieved Occ|Block Limit" "$OUT/det_$1.txt" | cut -c1-120
  python3 bench/ncu_source.py "/tmp/sass_$1.csv" 1 >"$OUT/src_$1.txt"; head -60 "$OUT/src_$1.txt" | cut -c1-200
  xz -9 -c "/tmp/sass_$1.csv" >"$OUT/sass_$1.csv.xz"
}
prof p1s4b1 "mbconv_kernel" 8
prof head "pixel_gemm_kernel<.int.2, .int.8, .int.1>" 0
date -u +%FT%TZ
