#!/usr/bin/env bash
# Session 31 call 8: the warpgroup-MMA kernels' shared parts factored out after s31c7 (the
# rings, the producer loop, the prologue, the expand and the end: px_rings, px_wg_produce,
# px_wg_prologue, px_wg_expand, px_wg_finish, px_out_tiles; the same register counts): all
# kernel and network tests, memcheck and racecheck of the ConvNeXt and ConvFirst tests, and
# convnext_tiny in gpu_bench at batches 1 and 256 against s31c7's 0.923 / 21.041 ms.
. bench/gpu_calls/setup.sh
KTIMEOUT=300 NTIMEOUT=200 . bench/gpu_calls/checks.sh
grep -E " wg" "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1 | sed 's/^/wg checks: largest rel err /'
grep -E "convnext_test|convfirst_test" "$OUT/net.log" | sort -u
SAN_TIMEOUT=150 SAN_TESTS="test_convnext test_convfirst" . bench/gpu_calls/sanitize.sh
.gpu/bin/arch_model convnext_tiny /tmp/convnext_tiny || exit 1
timeout 120 .gpu/bin/gpu_bench /tmp/convnext_tiny --batches 1,256 --iters 50 >"$OUT/bench.log" 2>&1
echo "gpu_bench rc=$?"
sed -n 4,7p "$OUT/bench.log"
grep -E "bucket 256" "$OUT/bench.log" | grep block0
