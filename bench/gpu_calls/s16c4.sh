#!/usr/bin/env bash
# Session 16 call 4: where the large-image PASS1 launches spend their issue slots after s16c3.
# Nsight Compute source counters of stack1.block0's and stack1.block1's PASS1 (the 1st and
# 2nd mbconv_kernel launches of a batch-256 run), the SASS-level CSV and the SASS with line
# info (nvdisasm -g) of the mbconv kernels, packed into $OUT for reading on the build host.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
date -u +%FT%TZ
for k in 0 1; do
  timeout 150 ncu --profile-from-start off --cache-control none --clock-control none \
    -k "regex:mbconv_kernel" --launch-skip $k --launch-count 1 --section LaunchStats \
    --section WarpStateStats --section SourceCounters --section InstructionStats \
    --section SpeedOfLight -o /tmp/p$k .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >/tmp/ncu$k.log 2>&1
  echo "ncu $k rc=$?"; tail -2 /tmp/ncu$k.log
  ncu -i /tmp/p$k.ncu-rep --page source --csv --print-source sass >/tmp/sass$k.csv; echo "sass rc=$?"
  ncu -i /tmp/p$k.ncu-rep --page details >/tmp/det$k.txt
  grep -E "mbconv_kernel|Duration|Warp Cycles Per Issued|Issue Slots|Executed Ipc" /tmp/det$k.txt
  python3 bench/ncu_source.py /tmp/sass$k.csv 2 >"$OUT/src$k.txt"; head -30 "$OUT/src$k.txt"
  gzip -c /tmp/sass$k.csv >"$OUT/sass$k.csv.gz"
done
mkdir -p /tmp/cub && cd /tmp/cub && cuobjdump -xelf all "$OLDPWD/.gpu/bin/gpu_bench" >/dev/null 2>&1
cd "$OLDPWD"
for f in /tmp/cub/*.cubin; do
  if strings "$f" | grep -q mbconv_kernel; then nvdisasm -g -c "$f" 2>/dev/null | gzip >"$OUT/$(basename "$f").sass.gz"; fi
done
ls -la "$OUT"; date -u +%FT%TZ
