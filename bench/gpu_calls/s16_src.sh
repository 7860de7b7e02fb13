#!/usr/bin/env bash
# The sixteenth session's source-level profile of PASS1 launches (s16c2, s16c4 name the
# launches and run this): on the GPU host, repo root, .gpu/ carried. For each k in $LAUNCHES,
# Nsight Compute's launch, warp-state, source-counter, instruction and speed-of-light sections
# of the k-th mbconv_kernel launch (from 0) of a batch-256 gpu_bench run; bench/ncu_source.py's
# summary ($OUT/src<k>.txt) and the SASS-level CSV ($OUT/sass<k>.csv.gz); then the SASS with
# line info (nvdisasm -g) of the binary's mbconv kernels, to map the hot runs to source lines.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
date -u +%FT%TZ
for k in ${LAUNCHES:?}; do
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
