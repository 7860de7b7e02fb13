#!/usr/bin/env bash
# Sourced by the A/B bodies after setup.sh (dwm_ab.sh, down_ab.sh): gpu_kernels_test once for each
# cmocka pattern in $KTESTS (e.g. "test_px_conv test_conv*"), 300 s each: its checks and largest
# rel err; a failure ends the call with the failing test's lines. Logs: $OUT/k.log (the last
# pattern's) and $OUT/k_<pattern without *>.log.
set -f # the patterns are cmocka's, not the shell's
for f in $KTESTS; do
  BLOCKFUSE_TEST_FILTER="$f" timeout 300 .gpu/bin/gpu_kernels_test >"$OUT/k.log" 2>&1
  echo "kernels $f rc=$? $(grep -c 'rel err' "$OUT/k.log") checks, max $(grep 'rel err' "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1)"
  grep -E "PASSED|FAILED" "$OUT/k.log" | head -3
  grep -q "FAILED" "$OUT/k.log" && { grep -B3 -A10 -E "FAIL|rror" "$OUT/k.log" | head -40; exit 1; }
  cp "$OUT/k.log" "$OUT/k_${f//\*/}.log"
done
set +f
