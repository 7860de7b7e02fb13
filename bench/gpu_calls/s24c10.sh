#!/usr/bin/env bash
# Session 24 call 10: s24c8's stores for every pass-2 GEMM's epilogue (pg_store_acc: each pair
# of n8 tiles' fp16 pairs transposed within the quads, so that a lane stores 16 bytes of one
# row and a store instruction fills 16 rows' 32-byte sectors; a tile without a partner keeps
# the 4-byte stores; the wg GEMM's residual loads 32 columns at a time above 128 columns).
# Budget: one call of ~3.5 minutes. Kernel tests and network; memcheck of test_mbconv_wg,
# racecheck of test_mbconv_narrow; W (this build) against B (1deebe2) once each with the
# tuner's log; tune_table at 256 and 64 for both.
# the model travelled packed too (this call's .gpu/ was at the carry limit)
. bench/gpu_calls/setup.sh
timeout 120 .gpu/bin/gpu_kernels_test >"$OUT/k.log" 2>&1
echo "gpu_kernels_test rc=$? $(grep -c 'rel err' "$OUT/k.log") checks, max $(grep 'rel err' "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/k.log" | head -3
timeout 60 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -20 "$OUT/net.log"; exit 1; }
grep -E "logits rel err" "$OUT/net.log"
grep -q "FAILED" "$OUT/k.log" && { grep -B3 -A10 -E "FAIL|rror" "$OUT/k.log" | head -40; exit 1; }
BLOCKFUSE_TEST_FILTER="test_mbconv_wg" timeout 90 compute-sanitizer --tool memcheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_m.log 2>&1
echo "memcheck test_mbconv_wg rc=$? $(grep -E 'ERROR SUMMARY' /tmp/san_m.log | tail -1), $(grep -c 'rel err' /tmp/san_m.log) checks"
BLOCKFUSE_TEST_FILTER="test_mbconv_narrow" timeout 40 compute-sanitizer --tool racecheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_r.log 2>&1
echo "racecheck test_mbconv_narrow rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/san_r.log | tail -1), $(grep -c 'rel err' /tmp/san_r.log) checks"
date -u +%FT%TZ
for side in W B; do
  bin=.gpu/bin/gpu_bench
  [ $side = B ] && bin=.gpu/bin/gpu_bench_base
  BLOCKFUSE_CUDA_TUNE_LOG=1 $bin $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  echo "$side 256: $(awk '$0 ~ "per-block roofline, batch 256 " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side.txt")"
done
for side in W B; do for b in 256 64; do
  echo "== $side $b"; python3 bench/tune_table.py "$OUT/ab_$side.txt" $b 2>/dev/null | cut -c1-16,36-150
done; done
date -u +%FT%TZ
