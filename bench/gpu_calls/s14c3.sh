#!/usr/bin/env bash
# Session 14 call 3: the tuner ranks the tiles with the 2 x 2-block depthwise conv where it
# applies, then tries the other dw thread shapes on the winner. The kernel and network tests,
# memcheck of every MBConv kernel test, racecheck of the SE tests (PASS1's own builds on every
# SE shape); A = 3e30783 (gpu_bench_base), B = the change; B's batch-256 PASS1 plans. Then
# Nsight Compute source counters of B's first two PASS1 launches at 256 (stack1.block0/1).
TTIMEOUT=300 MEMCHECK="test_mbconv_*" RACECHECK="test_mbconv_se" MTIMEOUT=200 RTIMEOUT=240 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" \
  PLANS="stack[0-9]\.block[0-9] bucket 256  \[pass1[^]]*" PLANS_FROM=B bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
[ $rc = 0 ] || exit $rc
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
timeout 150 ncu --profile-from-start off --cache-control none --clock-control none \
  -k "regex:mbconv_kernel" --launch-skip 0 --launch-count 2 --section LaunchStats \
  --section WarpStateStats --section SourceCounters --section Occupancy --section SpeedOfLight \
  -o /tmp/p3 .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >/tmp/ncu.log 2>&1
echo "ncu rc=$?"
ncu -i /tmp/p3.ncu-rep --page details --csv >/tmp/det.csv && gzip -c /tmp/det.csv >"$OUT/det.csv.gz"
ncu -i /tmp/p3.ncu-rep --page source --csv --print-source sass | gzip >"$OUT/sass.csv.gz"
mkdir -p /tmp/cub && (cd /tmp/cub && cuobjdump -xelf all "$OLDPWD/.gpu/bin/gpu_bench" >/dev/null 2>&1)
nvdisasm -g -c /tmp/cub/mbconv.sm_90.cubin 2>/dev/null | gzip >"$OUT/mbconv.sass.gz"
ls -la "$OUT"; date -u +%FT%TZ
