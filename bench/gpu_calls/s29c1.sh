#!/usr/bin/env bash
# Session 29 call 1: xsplit (PASS1 of a block with an expansion as the expand GEMM on
# warpgroup MMAs + dw_direct.cu's kernel on the expanded tensor) and the profiled graphs
# captured at create(). Checks: all kernel tests (test_mbconv_xsplit new), gpu_backend_test
# (the network against the CPU backend, a sampled run's logits, the graph and concurrent
# times through timed_graph). Then two rounds of W (xsplit on) and N (the same binary with
# BLOCKFUSE_CUDA_XSPLIT=0) at 1, 8, 64, 256 with the tuner's log; then memcheck and
# racecheck of test_mbconv_xsplit.
. bench/gpu_calls/setup.sh
KTIMEOUT=150 NTIMEOUT=90 . bench/gpu_calls/checks.sh
grep -E "xsplit" "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1 | sed 's/^/xsplit checks max rel err /'
grep -c "xsplit" "$OUT/k.log"
date -u +%FT%TZ
for r in "" 2; do for side in W$r N$r; do
  x=1
  case $side in N*) x=0 ;; esac
  BLOCKFUSE_CUDA_XSPLIT=$x BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 100 .gpu/bin/gpu_bench $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side rc=$? $(grep -m1 -o 'create [0-9.]* s' "$OUT/ab_$side.txt")"
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  echo "$side 256: $(awk '$0 ~ "per-block roofline, batch 256 " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side.txt")"
done; done
grep -E "xsplit" "$OUT/ab_W.txt" | grep -v "^tune" | head -40
grep -E "^tune .* batch 256: pass1 xsplit" "$OUT/ab_W.txt" | head -60
date -u +%FT%TZ
for t in memcheck racecheck; do
  BLOCKFUSE_TEST_FILTER=test_mbconv_xsplit timeout 100 compute-sanitizer --tool $t \
    --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san.log 2>&1
  echo "$t xsplit rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' /tmp/san.log | tail -1), $(grep -c 'rel err' /tmp/san.log) checks"
done
date -u +%FT%TZ
