#!/usr/bin/env bash
# Session 28 call 4: the tuner timed on the device alone (branch tunespin: a spin kernel keeps
# the stream busy while the host enqueues the events and the block), W against B = main's
# build (dc6612d). gpu_backend_test (the network against the CPU backend) on W; the A/B with
# the tuner's tables (its times now without the host's work); then s28c3's parts of the wg
# GEMM left out again with the spin (.gpu/bin/gpu_diag: wgdiag + tunespin), the kernels
# unchanged (gpu_kernels_test left out of this call: .gpu/ at the carry limit).
. bench/gpu_calls/setup.sh
timeout 60 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -20 "$OUT/net.log"; exit 1; }
grep -E "logits rel err|PASSED|FAILED" "$OUT/net.log"
for r in "" 2; do for side in W$r B$r; do
  bin=.gpu/bin/gpu_bench
  case $side in B*) bin=.gpu/bin/gpu_bench_base ;; esac
  /usr/bin/time -f "%e s" -o "$OUT/time_$side" env BLOCKFUSE_CUDA_TUNE_LOG=1 $bin $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt") ($(cat "$OUT/time_$side") in all)"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  echo "$side 256: $(awk '$0 ~ "per-block roofline, batch 256 " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side.txt")"
  echo "$side 1: $(awk '$0 ~ "per-block roofline, batch 1 " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side.txt")"
done; done
for side in W B; do for b in 256 64 1; do
  echo "== $side $b"; python3 bench/tune_table.py "$OUT/ab_$side.txt" $b 2>/dev/null | cut -c1-16,36-150
done; done
DIAG_BIN=.gpu/bin/gpu_diag DIAGS="0 1 2 4 8 15" . bench/gpu_calls/wg_diag.sh
date -u +%FT%TZ
