#!/usr/bin/env bash
# Sourced by the call scripts that profile (from s21c1 on): prof NAME REGEX SKIP [BATCH]
# profiles one launch of the kernel whose demangled name matches REGEX (after SKIP such
# launches) in gpu_bench's profiled run at BATCH (256 by default) with Nsight Compute's
# launch, warp-state, source-counter, instruction, speed-of-light, occupancy, memory and
# scheduler sections plus the PC-sampled stall reasons; writes $OUT/det_NAME.txt (details),
# $OUT/raw_NAME.csv, $OUT/src_NAME.txt (bench/ncu_source.py's hot SASS lines) and
# $OUT/sass_NAME.csv.xz, and prints the headline figures. Needs M (the model folder) and the
# environment that s9_ab.sh sets. (s17c11-s20c3 carried a copy of it each.)
prof() { # name regex skip
  timeout 150 ncu --profile-from-start off --cache-control none --clock-control none \
    --kernel-name-base demangled -k "regex:$2" --launch-skip "$3" --launch-count 1 --section LaunchStats --section WarpStateStats \
    --section SourceCounters --section InstructionStats --section SpeedOfLight --section Occupancy \
    --section MemoryWorkloadAnalysis --section MemoryWorkloadAnalysis_Tables --section SchedulerStats \
    --metrics smsp__pcsamp_warps_issue_stalled_barrier,smsp__pcsamp_warps_issue_stalled_long_scoreboard,smsp__pcsamp_warps_issue_stalled_short_scoreboard,smsp__pcsamp_warps_issue_stalled_math_pipe_throttle,smsp__pcsamp_warps_issue_stalled_mio_throttle,smsp__pcsamp_warps_issue_stalled_wait,smsp__pcsamp_warps_issue_stalled_branch_resolving,smsp__pcsamp_warps_issue_stalled_lg_throttle,smsp__pcsamp_warps_issue_stalled_sleeping,smsp__pcsamp_warps_issue_stalled_selected,smsp__pcsamp_warps_issue_stalled_not_selected,smsp__pcsamp_warps_issue_stalled_dispatch_stall,smsp__pcsamp_warps_issue_stalled_tex_throttle,smsp__pcsamp_warps_issue_stalled_membar,smsp__pcsamp_warps_issue_stalled_no_instructions,smsp__pcsamp_warps_issue_stalled_imc_miss,smsp__pcsamp_warps_issue_stalled_drain,smsp__pcsamp_warps_issue_stalled_misc \
    -o "/tmp/p_$1" .gpu/bin/gpu_bench $M --batches "${4:-256}" --ncu-batch "${4:-256}" >"/tmp/ncu_$1.log" 2>&1
  echo "== $1 ncu rc=$?"
  ncu -i "/tmp/p_$1.ncu-rep" --page source --csv --print-source sass >"/tmp/sass_$1.csv"
  ncu -i "/tmp/p_$1.ncu-rep" --page details >"$OUT/det_$1.txt"
  ncu -i "/tmp/p_$1.ncu-rep" --page raw --csv >"$OUT/raw_$1.csv" 2>/dev/null
  grep -E "  [a-z_]+<.*\(|Duration|Warp Cycles Per Issued|Executed Instructions  |Registers Per|Achieved Occ|L2 Hit|Mem Busy|Max Bandwidth|DRAM Through|No Eligible|Eligible Warps" "$OUT/det_$1.txt" | cut -c1-120
  grep -oE "smsp__pcsamp_warps_issue_stalled_[a-z_]+" "$OUT/raw_$1.csv" | head -0
  python3 - "$OUT/raw_$1.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
h, v = rows[0], rows[-1]
out = sorted(((float(v[i].replace(',', '')) if v[i].replace(',', '').replace('.', '').isdigit() else 0, h[i].replace('smsp__pcsamp_warps_issue_stalled_', '')) for i in range(len(h)) if 'pcsamp_warps_issue_stalled' in h[i]), reverse=True)
tot = sum(x for x, _ in out) or 1
print('stalls:', ', '.join('%s %.1f%%' % (n, 100 * x / tot) for x, n in out if x > 0))
PY
  python3 bench/ncu_source.py "/tmp/sass_$1.csv" 1.5 >"$OUT/src_$1.txt"; head -60 "$OUT/src_$1.txt" | cut -c1-160
  xz -9 -c "/tmp/sass_$1.csv" >"$OUT/sass_$1.csv.xz"
}
