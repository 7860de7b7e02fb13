#!/usr/bin/env bash
# Session 14 call 1: where PASS1's instructions go now. Nsight Compute source counters of the
# mbconv_kernel launches of one batch-256 run (stack1.block0 .. stack6: launches 0-14), their
# SASS-level CSVs (cuda,sass) packed into $OUT for reading on the build host, and the SASS with
# line info of the binary's mbconv kernels (nvdisasm -g) to map the hot instructions to lines.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
date -u +%FT%TZ
nvidia-smi --query-gpu=name,clocks.max.sm,driver_version --format=csv,noheader
timeout 300 ncu --profile-from-start off --cache-control none --clock-control none \
  -k "regex:mbconv_kernel" --launch-skip 0 --launch-count 15 --section LaunchStats \
  --section WarpStateStats --section SourceCounters --section InstructionStats --section Occupancy \
  --section SpeedOfLight -o /tmp/p1 .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >/tmp/ncu.log 2>&1
echo "ncu rc=$?"; tail -3 /tmp/ncu.log
date -u +%FT%TZ
ncu -i /tmp/p1.ncu-rep --page details --csv >/tmp/det.csv && gzip -c /tmp/det.csv >"$OUT/det.csv.gz"
ncu -i /tmp/p1.ncu-rep --page source --csv --print-source sass >/tmp/sass.csv; echo "sass rc=$?"
gzip -c /tmp/sass.csv >"$OUT/sass.csv.gz"
ncu -i /tmp/p1.ncu-rep --page source --csv --print-source cuda,sass >/tmp/cs.csv 2>/tmp/cs.err; echo "cuda,sass rc=$?"
head -c 600 /tmp/cs.err; gzip -c /tmp/cs.csv >"$OUT/cudasass.csv.gz"
ls -la "$OUT"
mkdir -p /tmp/cub && cd /tmp/cub && cuobjdump -xelf all "$OLDPWD/.gpu/bin/gpu_bench" >/dev/null 2>&1
cd "$OLDPWD"; ls /tmp/cub | head
for f in /tmp/cub/*.cubin; do
  if strings "$f" | grep -q mbconv_kernel; then nvdisasm -g -c "$f" 2>/dev/null | gzip >"$OUT/$(basename "$f").sass.gz"; fi
done
ls -la "$OUT"
date -u +%FT%TZ
