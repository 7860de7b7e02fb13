#!/usr/bin/env bash
# Session 9 call 9: what the 16 SE kernels after PASS1 take at batch 256 (c78ecdb's build;
# Nsight Compute, duration only, one run), and every launch of that run for comparison.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
ncu --profile-from-start off --cache-control none --clock-control none --metrics gpu__time_duration.sum \
  --csv .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >"$OUT/dur.csv" 2>/dev/null
python3 - "$OUT/dur.csv" <<'PY'
import csv, sys, collections
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) > 10]
h = rows[0]; ki = h.index("Kernel Name"); vi = h.index("Metric Value")
t = collections.defaultdict(list)
for r in rows[1:]:
    n = r[ki]
    k = n.split("(")[0].replace("void ", "")
    k = k.split("<")[0] + ("<" + k.split("<")[1] if "<" in k else "")
    t[k[:50]].append(float(r[vi].replace(",", "")))
tot = sum(sum(v) for v in t.values())
for k, v in sorted(t.items(), key=lambda kv: -sum(kv[1])):
    print("%-50s n=%3d  total %8.1f us  mean %7.2f" % (k, len(v), sum(v) / 1e3, sum(v) / len(v) / 1e3))
print("all launches: %.1f us" % (tot / 1e3))
PY
