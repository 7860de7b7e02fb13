#!/usr/bin/env bash
# Session 32 call 9, after the review: the LayerNorm stem's output statistics by px_row_stats, the
# loop that px_half_stats now also runs (it had its own scalar loop over the fp32 rows, the same
# two passes in the same order). Every kernel test, the networks against the CPU
# backend, memcheck and racecheck of test_px_conv, convnext_tiny in gpu_bench at 1 and 256
# (against s32c8's 0.912 / 20.010 ms and stem 292 us). (Its first run filtered the kernel tests
# with a pattern cmocka does not take and ran none; the networks, memcheck and racecheck and the
# bench were as here: stem 304.2 us, 0.910 / 19.983 ms.)
. bench/gpu_calls/setup.sh
timeout 300 .gpu/bin/gpu_kernels_test >"$OUT/k.log" 2>&1
echo "kernels rc=$? $(grep -c 'rel err' "$OUT/k.log") checks, max $(grep 'rel err' "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/k.log" | head -3
timeout 200 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1; echo "net rc=$?"
grep -E "logits rel err" "$OUT/net.log" | sort -u
SAN_TIMEOUT=150 SAN_TESTS="test_px_conv" . bench/gpu_calls/sanitize.sh
.gpu/bin/arch_model convnext_tiny /tmp/convnext_tiny || exit 1
timeout 150 .gpu/bin/gpu_bench /tmp/convnext_tiny --batches 1,256 --iters 50 >"$OUT/bench.log" 2>&1
echo "gpu_bench rc=$?"
sed -n 4,7p "$OUT/bench.log"
grep -A30 "batch 256" "$OUT/bench.log" | grep -E "^(stem|stage[0-3]\.down|total) "
