#!/usr/bin/env bash
# Session 41 call 8: the review's host-only mend (cuda_bucket's graph form as one graph_form;
# capture_bucket and enqueue_pieces read it from the bucket): the whole gpu_backend_test and
# the planner's picks and graph ms at 64 and 256 (expected as s41c1: 4 pieces at 64, 8 at 256).
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/gpu_calls/ab_side.sh
timeout 150 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1
echo "gpu_backend_test rc=$?"
grep -E "OK|PASSED|FAILED|piece by piece" "$OUT/net.log" | head -24 | cut -c1-120
ab_side D 64,256
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
