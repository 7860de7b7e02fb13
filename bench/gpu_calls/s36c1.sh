#!/usr/bin/env bash
# Session 36 call 1 (main d10f2b2's kernels, staged in s35c8): where batch 256 and 64 go, kernel
# by kernel. nsys timeline of gpu_bench's graph replays (graph nodes traced), then per kernel of
# the last replay: its name, its duration and the gap before it; and the sums by kernel kind.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
NSYS=$(command -v nsys || ls /usr/local/cuda/bin/nsys /opt/nvidia/nsight-systems/*/bin/nsys /usr/local/cuda/nsight-systems*/bin/nsys 2>/dev/null | head -1)
echo "nsys: $NSYS"
for B in ${NSYS:+256 64}; do
  $NSYS profile -q -o "/tmp/tl_B$B" --force-overwrite true --cuda-graph-trace=node -t cuda \
    .gpu/bin/gpu_bench "$M" --batches "$B" --iters 20 >"$OUT/gb_B$B.log" 2>&1
  echo "== nsys B$B rc=$?"
  $NSYS stats -q -r cuda_gpu_trace -f csv "/tmp/tl_B$B.nsys-rep" >"$OUT/nsys_B$B.csv" 2>&1
  python3 - "$OUT/nsys_B$B.csv" <<'PY'
import csv, sys, re, collections
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r.get('Name')]
ks = [r for r in rows if not r['Name'].startswith('[CUDA')]
# one replay: the kernels after the last memcpy HtoD
idx = max(i for i, r in enumerate(rows) if 'HtoD' in r['Name'])
rep = [r for r in rows[idx + 1:] if not r['Name'].startswith('[CUDA')]
t0 = int(rows[idx]['Start (ns)'])
tot = 0; prev_end = int(rows[idx]['Start (ns)']) + int(rows[idx]['Duration (ns)'])
kind = collections.OrderedDict()
for r in rep:
    s, d = int(r['Start (ns)']), int(r['Duration (ns)'])
    n = re.sub(r'\(.*', '', r['Name'])[:90]
    print('%8.1f us  gap %6.1f  %s' % (d / 1e3, (s - prev_end) / 1e3, n))
    base = re.sub(r'<.*', '', n).split()[-1]
    kind[base] = kind.get(base, 0) + d
    prev_end = s + d; tot += d
print('kernels sum %.1f us, span %.1f us' % (tot / 1e3, (prev_end - t0) / 1e3))
for k, v in sorted(kind.items(), key=lambda x: -x[1]):
    print('  %-40s %8.1f us' % (k, v / 1e3))
PY
done
# Nsight Compute's durations of every kernel of one run at 256 (serialised launches).
timeout 200 ncu --profile-from-start off --cache-control none --clock-control none --metrics gpu__time_duration.sum \
  --csv .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >"$OUT/ncu_dur.csv" 2>"$OUT/ncu_dur.err"
echo "== ncu rc=$?"
python3 - "$OUT/ncu_dur.csv" <<'PY'
import csv, sys, re, collections
lines = [l for l in open(sys.argv[1]) if l.startswith('"')]
rows = list(csv.DictReader(lines))
kind = collections.OrderedDict(); tot = 0
for r in rows:
    d = float(r['Metric Value'].replace(',', ''))
    u = r['Metric Unit']; d = d / 1e3 if u == 'nsecond' else (d * 1e3 if u == 'msecond' else d)
    n = re.sub(r'\(.*', '', r['Kernel Name'])[:90]
    print('%8.1f us  %s' % (d, n)); tot += d
    base = re.sub(r'<.*', '', n).split()[-1]; kind[base] = kind.get(base, 0) + d
print('sum %.1f us' % tot)
for k, v in sorted(kind.items(), key=lambda x: -x[1]): print('  %-40s %8.1f us' % (k, v))
PY
date -u +%FT%TZ
