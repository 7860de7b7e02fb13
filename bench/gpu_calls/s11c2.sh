#!/usr/bin/env bash
# Session 11 call 2: the SE kernel's large-grid gates by channel pairs with 8 rows of We in
# flight (B) against the session's start (8ca3573, A): tests, memcheck of the SE tests, graph
# ms A B A B with per-block µs at 256, then Nsight Compute counters of every se_kernel launch
# of one batch-256 run of each build.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
MEMCHECK=test_mbconv_se RACECHECK=none MTIMEOUT=240 RTIMEOUT=5 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh || exit 1
grep -cE "rel err" /tmp/san_m.log
NCU="ncu --profile-from-start off --cache-control none --clock-control none"
for side in A=gpu_bench_base B=gpu_bench; do
  timeout 120 $NCU -k regex:se_kernel --csv --metrics gpu__time_duration.sum,launch__grid_size,smsp__inst_executed.sum,smsp__issue_active.avg.pct_of_peak_sustained_active,lts__t_sectors_op_read.sum,lts__throughput.avg.pct_of_peak_sustained_elapsed,smsp__warp_issue_stalled_long_scoreboard_per_warp_active.pct,smsp__warp_issue_stalled_barrier_per_warp_active.pct \
    .gpu/bin/${side#*=} $M --batches 256 --ncu-batch 256 >"$OUT/se_${side%%=*}.csv" 2>/dev/null
  python3 - "$OUT/se_${side%%=*}.csv" "${side%%=*}" <<'PY'
import csv, sys, collections
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) > 10]
h = rows[0]; ii = h.index("ID"); mi = h.index("Metric Name"); vi = h.index("Metric Value")
d = collections.OrderedDict()
for r in rows[1:]:
    d.setdefault(r[ii], {})[r[mi]] = float(r[vi].replace(",", ""))
tot = 0
for k, v in d.items():
    us = v["gpu__time_duration.sum"] / 1e3; tot += us
    print("%s %6.1f us grid %5d inst %6.2fM iss %4.1f%% L2rd %6.1fMB L2 %4.1f%% lsb %5.1f bar %5.1f" % (sys.argv[2], us,
          v["launch__grid_size"], v["smsp__inst_executed.sum"] / 1e6, v["smsp__issue_active.avg.pct_of_peak_sustained_active"],
          v["lts__t_sectors_op_read.sum"] * 32 / 1e6, v["lts__throughput.avg.pct_of_peak_sustained_elapsed"],
          v["smsp__warp_issue_stalled_long_scoreboard_per_warp_active.pct"], v["smsp__warp_issue_stalled_barrier_per_warp_active.pct"]))
print("%s total %.1f us in %d launches" % (sys.argv[2], tot, len(d)))
PY
done
date -u +%FT%TZ
