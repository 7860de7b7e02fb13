#!/usr/bin/env bash
# Session 29 call 2: where xsplit's time goes. Nsight Compute over the profiled run at 256 (every
# launch: speed of light, launch, occupancy) with BLOCKFUSE_CUDA_XSPLIT=force (xsplit's fastest
# form on every block it applies to) and with it off; bench/ncu_table.py's line per launch.
. bench/gpu_calls/setup.sh
for x in force 0; do
  BLOCKFUSE_CUDA_XSPLIT=$x timeout 250 ncu --profile-from-start off --cache-control none --clock-control none \
    --section SpeedOfLight --section LaunchStats --section Occupancy \
    .gpu/bin/gpu_bench "$M" --batches 256 --ncu-batch 256 >"$OUT/ncu_x$x.txt" 2>&1
  echo "== xsplit=$x rc=$?"
  python3 bench/ncu_table.py "$OUT/ncu_x$x.txt" >"$OUT/tab_x$x.txt"
  cat "$OUT/tab_x$x.txt" | cut -c1-150
  grep "xsplit" "$OUT/ncu_x$x.txt" | grep -v "^tune" | head -20
done
date -u +%FT%TZ
