#!/usr/bin/env bash
# Session 17 call 7: where the stem's instructions go (s17c1: stem_band_kernel<4, 2> 168.5 µs,
# 7.5 cycles per issued instruction over 24 warps, ~80 % of the issue slots, DRAM 29 %). Nsight
# Compute's source counters of the stem's launch at batch 256 (commit 387f102's kernels),
# summarised by bench/ncu_source.py, and the SASS with line info of its cubin. GPU host, repo
# root, .gpu/ carried.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
date -u +%FT%TZ
timeout 200 ncu --profile-from-start off --cache-control none --clock-control none \
  -k "regex:stem_band_kernel" --launch-count 1 --section LaunchStats --section WarpStateStats \
  --section SourceCounters --section InstructionStats --section SpeedOfLight \
  --section ComputeWorkloadAnalysis -o /tmp/ps .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >/tmp/ncu.log 2>&1
echo "ncu rc=$?"; tail -2 /tmp/ncu.log
ncu -i /tmp/ps.ncu-rep --page source --csv --print-source sass >/tmp/sass.csv; echo "sass rc=$?"
ncu -i /tmp/ps.ncu-rep --page details >"$OUT/details.txt"
grep -E "Duration|Warp Cycles Per Issued|Issue Slots|Executed Ipc|Executed Instructions  |Pipe" "$OUT/details.txt" | head -20
python3 bench/ncu_source.py /tmp/sass.csv 1 >"$OUT/src.txt"; head -60 "$OUT/src.txt"
gzip -c /tmp/sass.csv >"$OUT/sass.csv.gz"
mkdir -p /tmp/cub && cd /tmp/cub && cuobjdump -xelf all "$OLDPWD/.gpu/bin/gpu_bench" >/dev/null 2>&1
cd "$OLDPWD"
for f in /tmp/cub/*.cubin; do
  if strings "$f" | grep -q stem_band_kernel; then nvdisasm -g -c "$f" 2>/dev/null | gzip >"$OUT/$(basename "$f").sass.gz"; fi
done
ls -la "$OUT"; date -u +%FT%TZ
