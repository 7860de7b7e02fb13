#!/usr/bin/env bash
# (Prepared in session 24 on branch wg-wide-stores; run in session 25 on those kernel changes
# applied to main, with B = main's 09921ae and a memcheck of test_mbconv_se added.
# Its side test below is wrong for "B" (an empty ${side#B}): round one's B ran W's
# binary; only B2 was main's. s25c1 has the fixed loop.)
# s24c10's 16-byte stores in the warpgroup-MMA GEMM (pg_store_acc's WIDE, which s24c10 showed
# 1-3 us faster per block there) and in the streaming bulk-copy GEMM up to 64 columns (with
# the quad transpose as two in-place butterfly stages its 80-register build no longer spills);
# the streaming, per-tile and narrow GEMMs' epilogues otherwise as 0495707's.
# As s24c10: kernel tests and network; memcheck of test_mbconv_wg, racecheck of
# test_mbconv_narrow; W (this build) against B (main, 09921ae) once each with the tuner's log;
# tune_table at 256 and 64 for both.
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
BLOCKFUSE_TEST_FILTER="test_mbconv_se" timeout 120 compute-sanitizer --tool memcheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_s.log 2>&1
echo "memcheck test_mbconv_se rc=$? $(grep -E 'ERROR SUMMARY' /tmp/san_s.log | tail -1), $(grep -c 'rel err' /tmp/san_s.log) checks"
BLOCKFUSE_TEST_FILTER="test_mbconv_narrow" timeout 40 compute-sanitizer --tool racecheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_r.log 2>&1
echo "racecheck test_mbconv_narrow rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/san_r.log | tail -1), $(grep -c 'rel err' /tmp/san_r.log) checks"
date -u +%FT%TZ
for r in "" 2; do for side in W$r B$r; do
  bin=.gpu/bin/gpu_bench
  [ ${side#B} != $side ] && bin=.gpu/bin/gpu_bench_base
  BLOCKFUSE_CUDA_TUNE_LOG=1 $bin $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  echo "$side 256: $(awk '$0 ~ "per-block roofline, batch 256 " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side.txt")"
done; done
for side in W B; do for b in 256 64; do
  echo "== $side $b"; python3 bench/tune_table.py "$OUT/ab_$side.txt" $b 2>/dev/null | cut -c1-16,36-150
done; done
date -u +%FT%TZ
