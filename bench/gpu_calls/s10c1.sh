#!/usr/bin/env bash
# Session 10 call 1: where the small-image blocks (stack3-stack6, 14x14 and 7x7) spend batch
# 256 (ebf1c5a): the plans and per-block times, a few Nsight Compute counters of every launch
# of one run, and the source counters of two tile-kernel PASS1 launches.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv
date -u +%FT%TZ
.gpu/bin/gpu_bench $M --batches 256 --iters 20 >"$OUT/bench.txt" 2>&1
grep -E "^ *(stack[3-6]|head|stem)" "$OUT/bench.txt" | head -40
NCU="ncu --profile-from-start off --cache-control none --clock-control none"
timeout 240 $NCU --csv --metrics gpu__time_duration.sum,smsp__inst_executed.sum,smsp__issue_active.avg.pct_of_peak_sustained_active,sm__warps_active.avg.pct_of_peak_sustained_active,sm__pipe_tensor_op_hmma_cycles_active.avg.pct_of_peak_sustained_active,dram__throughput.avg.pct_of_peak_sustained_elapsed,launch__registers_per_thread,launch__grid_size,launch__block_size,launch__shared_mem_per_block_dynamic,launch__occupancy_limit_shared_mem,launch__occupancy_limit_registers,l1tex__data_bank_conflicts_pipe_lsu_mem_shared.sum,smsp__warp_issue_stalled_barrier_per_warp_active.pct,smsp__warp_issue_stalled_short_scoreboard_per_warp_active.pct,smsp__warp_issue_stalled_long_scoreboard_per_warp_active.pct,smsp__warp_issue_stalled_mio_throttle_per_warp_active.pct \
  .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >"$OUT/raw.csv" 2>/dev/null
python3 - "$OUT/raw.csv" <<'PY'
import csv, sys, collections
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) > 10]
h = rows[0]; ki = h.index("Kernel Name"); ii = h.index("ID"); mi = h.index("Metric Name"); vi = h.index("Metric Value")
d = collections.OrderedDict()
for r in rows[1:]:
    d.setdefault(r[ii], {"name": r[ki]})[r[mi]] = r[vi]
short = {"gpu__time_duration.sum": "us", "smsp__inst_executed.sum": "Minst", "smsp__issue_active.avg.pct_of_peak_sustained_active": "iss%",
         "sm__warps_active.avg.pct_of_peak_sustained_active": "occ%", "sm__pipe_tensor_op_hmma_cycles_active.avg.pct_of_peak_sustained_active": "tc%",
         "dram__throughput.avg.pct_of_peak_sustained_elapsed": "dram%", "launch__registers_per_thread": "reg", "launch__grid_size": "grid",
         "launch__block_size": "thr", "launch__shared_mem_per_block_dynamic": "smem", "launch__occupancy_limit_shared_mem": "lim_s",
         "launch__occupancy_limit_registers": "lim_r", "l1tex__data_bank_conflicts_pipe_lsu_mem_shared.sum": "bankc",
         "smsp__warp_issue_stalled_barrier_per_warp_active.pct": "st_bar", "smsp__warp_issue_stalled_short_scoreboard_per_warp_active.pct": "st_sb",
         "smsp__warp_issue_stalled_long_scoreboard_per_warp_active.pct": "st_lsb", "smsp__warp_issue_stalled_mio_throttle_per_warp_active.pct": "st_mio"}
keys = list(short)
print("%3s %-28s " % ("id", "kernel") + " ".join("%7s" % short[k] for k in keys))
def num(s):
    try: return float(s.replace(",", ""))
    except: return 0.0
for i, (k, v) in enumerate(d.items()):
    n = v["name"].replace("void ", "").replace("bf::", "")[:28]
    vals = [num(v.get(m, "0")) for m in keys]
    vals[0] /= 1e3; vals[1] /= 1e6
    print("%3d %-28s " % (i, n) + " ".join("%7.1f" % x for x in vals))
print("total us %.1f" % (sum(num(v.get(keys[0], "0")) for v in d.values()) / 1e3))
PY
for skip in 8 11; do
  timeout 120 $NCU -k "regex:mbconv_kernel" --launch-skip $skip --launch-count 1 --section LaunchStats --section WarpStateStats \
    --section SourceCounters --section InstructionStats -o "$OUT/src$skip" \
    .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >/dev/null 2>&1
  ncu -i "$OUT/src$skip.ncu-rep" --page details --section LaunchStats | grep -E "Grid Size|Block Size|Registers|Dynamic Shared" 
  ncu -i "$OUT/src$skip.ncu-rep" --page source --csv --print-source sass >"$OUT/src$skip.csv" &&
    python3 bench/ncu_source.py "$OUT/src$skip.csv" 0.7 >"$OUT/src$skip.txt"
  rm -f "$OUT/src$skip.ncu-rep"; xz -9 -f "$OUT/src$skip.csv"
done
ls -la "$OUT"
date -u +%FT%TZ
