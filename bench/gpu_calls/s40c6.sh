#!/usr/bin/env bash
# Session 40 call 6 (main, the binaries of s40c5, whose code main has): memcheck of the whole
# gpu_backend_test, now that the planner may pick pieces and two lanes at its buckets 4 and 8
# (test_network_matches_cpu) besides test_copy_pieces' forced ones.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
timeout 400 compute-sanitizer --tool memcheck --error-exitcode 9 .gpu/bin/gpu_backend_test >"$OUT/mem_net.log" 2>&1
echo "memcheck gpu_backend_test rc=$? $(grep -E 'ERROR SUMMARY' "$OUT/mem_net.log" | tail -1) $(grep -c 'rel err' "$OUT/mem_net.log") images"
grep -E "OK|PASSED|FAILED" "$OUT/mem_net.log" | head -10
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
