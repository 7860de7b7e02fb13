#!/usr/bin/env bash
# Sourced by the call scripts after setup.sh (s25_ab.sh, s27c5.sh, s28c6.sh; the earlier ones
# carry these lines each): the kernel tests (gpu_kernels_test, $KTIMEOUT s, 150 by default:
# its checks and largest rel err) and the network against the CPU backend (gpu_backend_test,
# $NTIMEOUT s, 90 by default: the logits' rel err); a failure of either ends the call.
# Logs: $OUT/k.log, $OUT/net.log.
timeout "${KTIMEOUT:-150}" .gpu/bin/gpu_kernels_test >"$OUT/k.log" 2>&1
echo "gpu_kernels_test rc=$? $(grep -c 'rel err' "$OUT/k.log") checks, max $(grep 'rel err' "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/k.log" | head -3
timeout "${NTIMEOUT:-90}" .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -20 "$OUT/net.log"; exit 1; }
grep -E "logits rel err" "$OUT/net.log"
grep -q "FAILED" "$OUT/k.log" && { grep -B3 -A10 -E "FAIL|rror" "$OUT/k.log" | head -40; exit 1; }
