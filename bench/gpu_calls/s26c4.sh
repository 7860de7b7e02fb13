#!/usr/bin/env bash
# Session 26 call 4: PASS1 on two sets of chunk buffers (cuda_mbconv_args.dbuf: one barrier a
# chunk, the expand of chunk c + 1 beside the depthwise conv of chunk c), which the tuner
# times after the depthwise forms (retime_dbuf: the winner's tile at its chunk width and at
# half of it). Checks: all kernel tests (test_mbconv_dbuf new: every dw form under dbuf),
# the network, memcheck and racecheck of test_mbconv_dbuf, racecheck of test_mbconv_chunks.
# Sides, two rounds: W = this build, N = the same with BLOCKFUSE_CUDA_DBUF=0, B = main's
# build before it (.gpu/bin/gpu_bench_base). Then the tuner's dbuf lines at 256.
# (Ran on branch `dbuf`; its kernel change is not on main: bench/RESULTS.md says why.)
. bench/gpu_calls/setup.sh
timeout 150 .gpu/bin/gpu_kernels_test >"$OUT/k.log" 2>&1
echo "gpu_kernels_test rc=$? $(grep -c 'rel err' "$OUT/k.log") checks, max $(grep 'rel err' "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/k.log" | head -3
grep " dbuf " "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1 | sed 's/^/dbuf checks max rel err /'
grep -q "FAILED" "$OUT/k.log" && { grep -B3 -A10 -E "FAIL|rror" "$OUT/k.log" | head -40; exit 1; }
timeout 60 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -20 "$OUT/net.log"; exit 1; }
grep -E "logits rel err" "$OUT/net.log"
for s in memcheck:test_mbconv_dbuf racecheck:test_mbconv_dbuf racecheck:test_mbconv_chunks; do
  tool=${s%%:*} filter=${s#*:}
  BLOCKFUSE_TEST_FILTER="$filter" timeout 200 compute-sanitizer --tool "$tool" \
    --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san.log 2>&1
  echo "$tool $filter rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' /tmp/san.log | tail -1), $(grep -c 'rel err' /tmp/san.log) checks"
  grep -m3 -E "Race|Invalid|hazard" /tmp/san.log
done
date -u +%FT%TZ
for r in 1 2; do for side in W N B; do
  bin=.gpu/bin/gpu_bench env=
  [ $side = B ] && bin=.gpu/bin/gpu_bench_base
  [ $side = N ] && env=BLOCKFUSE_CUDA_DBUF=0
  env $env BLOCKFUSE_CUDA_TUNE_LOG=1 $bin $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side$r.txt" 2>&1
  echo "$side$r graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side$r.txt")"
  echo "$side$r kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side$r.txt")"
  echo "$side$r 256: $(awk '$0 ~ "per-block roofline, batch 256 " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side$r.txt")"
done; done
grep -E "^tune .*batch 256: pass1 .*dbuf" "$OUT/ab_W1.txt" | cut -c1-150
grep -E "bucket 256 .*dbuf" "$OUT/ab_W1.txt" | cut -c1-140
date -u +%FT%TZ
