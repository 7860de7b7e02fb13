#!/usr/bin/env bash
# Session 14 call 4: where batch 256 goes with 1ce5ed5: the nsys timeline of graph replays
# (every kernel node's duration, the graph's own plan) and Nsight Compute source counters of
# the first two PASS1 launches (stack1.block0/1), with the SASS and its line table, packed
# into one tarball in $OUT.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
mkdir -p /tmp/o && date -u +%FT%TZ
OUT=/tmp/o BATCHES=256 NCU_BATCHES=" " bash bench/gpu_profile.sh >/tmp/o/profile.log 2>&1
echo "profile rc=$?"; head -3 /tmp/o/nsys_B256.csv
timeout 150 ncu --profile-from-start off --cache-control none --clock-control none \
  -k "regex:mbconv_kernel" --launch-skip 0 --launch-count 2 --section LaunchStats \
  --section WarpStateStats --section SourceCounters --section Occupancy --section SpeedOfLight \
  -o /tmp/p4 .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >/tmp/ncu.log 2>&1
echo "ncu rc=$?"
ncu -i /tmp/p4.ncu-rep --page details --csv >/tmp/o/det.csv
ncu -i /tmp/p4.ncu-rep --page source --csv --print-source sass >/tmp/o/sass.csv
mkdir -p /tmp/cub && (cd /tmp/cub && cuobjdump -xelf all "$OLDPWD/.gpu/bin/gpu_bench" >/dev/null 2>&1)
nvdisasm -g -c /tmp/cub/mbconv.sm_90.cubin >/tmp/o/mbconv.sass 2>/dev/null
tar -C /tmp/o -cJf "$OUT/s14c4.tar.xz" . && ls -la "$OUT"; date -u +%FT%TZ
