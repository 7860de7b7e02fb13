#!/usr/bin/env bash
# Session 28 call 5: the tuner timed on the device alone (the spin per timing, twice the host's
# time the round before) and the profiled runs on their own graph (event nodes between
# blocks), W (main-to-be, tunespin) against B = main's build (dc6612d). Checks: all kernel
# tests, gpu_backend_test (the network against the CPU backend; a sampled run's logits equal
# the run's before it). Then two rounds of W and B at 1, 8, 64, 256 (create() time, graph and
# kernels ms, the per-block totals at 1 and 256), and W once with BLOCKFUSE_CUDA_TUNE_SPIN=0.
. bench/gpu_calls/setup.sh
timeout 120 .gpu/bin/gpu_kernels_test >"$OUT/k.log" 2>&1
echo "gpu_kernels_test rc=$? $(grep -c 'rel err' "$OUT/k.log") checks, max $(grep 'rel err' "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1)"
timeout 90 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "logits rel err|profiled run|PASSED|FAILED" "$OUT/net.log"
for side in W B W2 B2 N; do
  bin=.gpu/bin/gpu_bench
  case $side in B*) bin=.gpu/bin/gpu_bench_base ;; esac
  spin=1
  [ $side = N ] && spin=0
  BLOCKFUSE_CUDA_TUNE_SPIN=$spin BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 150 $bin $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side rc=$? $(grep -m1 -o 'create [0-9.]* s' "$OUT/ab_$side.txt")"
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  for b in 1 8 256; do
    echo "$side blocks at $b: $(awk -v b="per-block roofline, batch $b " '$0 ~ b {p=1; next} p && /^total/ {print "total", $2; exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side.txt")"
  done
done
grep -v "^tune" "$OUT/ab_W.txt" | head -8
date -u +%FT%TZ
