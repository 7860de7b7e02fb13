#!/usr/bin/env bash
# Session 40 call 7 (branch pxlanes): the review's mend. Two pieces at once must not share
# scratch: a pixel-tile block whose launch splits its chunks (hs > 1) adds into the one
# d_pxpart, so lanes_ok keeps two lanes off such leads, and a forced setting that nothing can
# run falls back to the one copy; the plan lines now show the plans the pieces run with.
# gpu_backend_test (test_arch_matches_cpu: ConvNeXt and ConvFirst as the planner picks and with
# 4 pieces on two lanes forced), then B0's graph ms and picks at 64 and 256 (unchanged: no
# pixel-tile blocks).
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
timeout 200 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -40 "$OUT/net.log"; exit 1; }
grep -E "OK|PASSED|FAILED|two lanes|convnext_test|convfirst_test" "$OUT/net.log" | head -40 | cut -c1-140
. bench/gpu_calls/ab_side.sh
ab_side D 64,256
grep 'piece by piece' "$OUT/ab_D.txt" | cut -c1-150 | head -8
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
