#!/usr/bin/env bash
# Session 26 call 3: W = s26c2's stepped chunk copies (cp_rows, stage_copy) plus the GEMM
# epilogues' output pair as one helper (pg_out_pair: pg_store_acc's 4-byte and WIDE paths and
# narrow_store_wide; the twenty-fifth session's review item), B = main's build. Checks: all
# kernel tests, the network, memcheck of test_mbconv_se, _strips, _narrow, _wg and _cluster,
# racecheck of test_mbconv_strips and _chunks; the A/B; then every mbconv_kernel launch's
# instructions and duration at 256 on both sides (Nsight Compute, two metrics).
SAN="memcheck:test_mbconv_se memcheck:test_mbconv_strips memcheck:test_mbconv_narrow memcheck:test_mbconv_wg memcheck:test_mbconv_cluster racecheck:test_mbconv_strips racecheck:test_mbconv_chunks" \
  ROWS="stack0.block0 stack1.block0 stack1.block1 stack4.block1 stack5.block1 stack6.block0" \
  bash bench/gpu_calls/s25_ab.sh || exit 1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
for side in W B; do
  bin=.gpu/bin/gpu_bench
  [ $side = B ] && bin=.gpu/bin/gpu_bench_base
  timeout 150 ncu --profile-from-start off --cache-control none --clock-control none \
    --kernel-name-base demangled -k "regex:mbconv_kernel|pixel_gemm" \
    --metrics gpu__time_duration.sum,smsp__inst_executed.sum --csv $bin $M --batches 256 \
    --ncu-batch 256 >"$OUT/inst_$side.csv" 2>/dev/null
  echo "== $side ncu rc=$?"
  python3 - "$OUT/inst_$side.csv" <<'PY'
import csv, io, sys
t = open(sys.argv[1]).read()
rows = list(csv.DictReader(io.StringIO(t[t.find('"ID"'):])))
k = {}
for r in rows:
    k.setdefault((int(r['ID']), r['Kernel Name'].split('(')[0]), {})[r['Metric Name']] = float(r['Metric Value'].replace(',', ''))
for (i, n), m in sorted(k.items()):
    print('%3d %-42s %8.1f us %6.2f M instr' % (i, n[:42], m['gpu__time_duration.sum'] / 1e3, m['smsp__inst_executed.sum'] / 1e6))
PY
done
date -u +%FT%TZ
