#!/usr/bin/env bash
# Session 27 call 7: gpu_backend_test with its new checks of cuda_backend_concurrent_time (two
# instances' graphs at once; bad counts and batches refused; the instances' runs unchanged
# after), and memcheck of it.
. bench/gpu_calls/setup.sh
timeout 120 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1
echo "gpu_backend_test rc=$?"
grep -E "logits rel err|PASSED|FAILED|profiled run|LINE" "$OUT/net.log"
timeout 300 compute-sanitizer --tool memcheck --error-exitcode 99 .gpu/bin/gpu_backend_test >"$OUT/san.log" 2>&1
echo "memcheck gpu_backend_test rc=$? $(grep -E 'ERROR SUMMARY' "$OUT/san.log" | tail -1)"
grep -E "PASSED|FAILED" "$OUT/san.log" | head -3
date -u +%FT%TZ
