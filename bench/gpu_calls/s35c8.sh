#!/usr/bin/env bash
# Session 35 call 8: the review's host-side mends (mbconv_wg.cu's kernel attributes set over every
# instantiation wgx_fn_of maps to instead of a second list of them; the sm_90a cubin
# byte-identical): test_mbconv_wgx and the network against the CPU backend.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
BLOCKFUSE_TEST_FILTER=test_mbconv_wgx timeout 90 .gpu/bin/gpu_kernels_test >"$OUT/k.log" 2>&1
echo "test_mbconv_wgx rc=$? $(grep -c 'rel err' "$OUT/k.log") checks, max $(grep 'rel err' "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/k.log" | head -3
timeout 120 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1
echo "gpu_backend_test rc=$?"
grep -E "logits rel err|PASSED|FAILED" "$OUT/net.log" | head -4
date -u +%FT%TZ
