#!/usr/bin/env bash
# Session 36 call 6 (branch wgx-taps 4th commit: the copied taps in every instantiation, the
# loads from L2 gone): all kernel tests and the network against the CPU backend (checks.sh),
# test_mbconv_wgx alone and under memcheck and racecheck.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
BLOCKFUSE_TEST_FILTER=test_mbconv_wgx timeout 60 .gpu/bin/gpu_kernels_test >"$OUT/k_wgx.log" 2>&1
echo "test_mbconv_wgx rc=$? $(grep -c 'rel err' "$OUT/k_wgx.log") checks, max $(grep ' wgx ' "$OUT/k_wgx.log" | awk '{print $NF}' | sort -g | tail -1)"
KTIMEOUT=150 NTIMEOUT=90 . bench/gpu_calls/checks.sh
SAN_TESTS=test_mbconv_wgx SAN_TIMEOUT=100 . bench/gpu_calls/sanitize.sh
date -u +%FT%TZ
