#!/usr/bin/env bash
# Sourced by s36c9, s36c11 and s37c3 (on the GPU host, repo root, .gpu/ carried, after
# `exec > >(tee "$OUT/summary.txt") 2>&1`): test_mbconv_wgx alone, every kernel test, memcheck
# and racecheck of test_mbconv_wgx, then W = .gpu/bin/gpu_bench against B =
# .gpu/bin/gpu_bench_base, two rounds alternating at 1, 8, 64, 256: graph and kernels ms, every
# block's µs at 256. Logs: $OUT/k_wgx.log, $OUT/k.log, $OUT/ab_<W|B><""|2>.txt.
. bench/gpu_calls/setup.sh
BLOCKFUSE_TEST_FILTER=test_mbconv_wgx timeout 60 .gpu/bin/gpu_kernels_test >"$OUT/k_wgx.log" 2>&1
echo "test_mbconv_wgx rc=$? $(grep -c 'rel err' "$OUT/k_wgx.log") checks, max $(grep ' wgx ' "$OUT/k_wgx.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -q "PASSED" "$OUT/k_wgx.log" || { tail -30 "$OUT/k_wgx.log"; exit 1; }
timeout 150 .gpu/bin/gpu_kernels_test >"$OUT/k.log" 2>&1
echo "gpu_kernels_test rc=$? $(grep -c 'rel err' "$OUT/k.log") checks, max $(grep 'rel err' "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/k.log" | head -3
SAN_TESTS=test_mbconv_wgx SAN_TIMEOUT=100 . bench/gpu_calls/sanitize.sh
for r in "" 2; do for side in W$r B$r; do
  b=$(case $side in W*) echo gpu_bench ;; *) echo gpu_bench_base ;; esac)
  timeout 100 .gpu/bin/$b $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side rc=$? $(grep -m1 -o 'create [0-9.]* s' "$OUT/ab_$side.txt")"
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  echo "$side 256: $(awk '$0 ~ "per-block roofline, batch 256 " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side.txt")"
done; done
date -u +%FT%TZ
