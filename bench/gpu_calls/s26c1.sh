#!/usr/bin/env bash
# Session 26 call 1: where the 7x7 and 14x14 blocks' time goes at batch 256 (main, 8d294b9).
#   1. Every kernel's duration in one profiled run at 256 (Nsight Compute, gpu__time_duration
#      only), with its grid, block and registers: PASS1, SE and pass 2 of each block apart.
#   2. The full sections (bench/gpu_calls/prof.sh) of stack5.block1's PASS1 (7x7, one image
#      per CTA, cc 64, strips of one row: the 12th mbconv_kernel launch) and of stack6's
#      (the 15th).
. bench/gpu_calls/setup.sh
BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 200 ncu --profile-from-start off --cache-control none --clock-control none \
  --kernel-name-base demangled --metrics gpu__time_duration.sum,launch__grid_size,launch__block_size,launch__registers_per_thread,launch__shared_mem_per_block_dynamic,smsp__inst_executed.sum \
  --csv .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >"$OUT/dur.csv" 2>"$OUT/dur.err"
echo "ncu rc=$?"
python3 - "$OUT/dur.csv" <<'PY'
import csv, sys, io
txt = open(sys.argv[1]).read()
i = txt.find('"ID"')
rows = list(csv.DictReader(io.StringIO(txt[i:])))
k = {}
order = []
for r in rows:
    key = (r['ID'], r['Kernel Name'])
    if key not in k:
        k[key] = {}
        order.append(key)
    k[key][r['Metric Name']] = r['Metric Value']
tot = 0.0
for key in order:
    m = k[key]
    d = float(m.get('gpu__time_duration.sum', '0').replace(',', '')) / 1e3
    tot += d
    name = key[1].split('(')[0][:60]
    print('%3s %-60s %8.1f us grid %6s blk %4s regs %3s smem %7s instr %s' % (key[0], name, d, m.get('launch__grid_size'), m.get('launch__block_size'), m.get('launch__registers_per_thread'), m.get('launch__shared_mem_per_block_dynamic'), m.get('smsp__inst_executed.sum')))
print('total %.1f us' % tot)
PY
. bench/gpu_calls/prof.sh
prof s5b1 "mbconv_kernel" 11 | head -70
prof s6 "mbconv_kernel" 14 | head -50
rm -f "$OUT"/raw_*.csv
date -u +%FT%TZ
