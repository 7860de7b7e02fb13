#!/usr/bin/env bash
# Session 27 call 4: the stem fused with stack0.block0's first pass (branch stemdw:
# stem_dw_kernel, the tuner times it on tiles of 4, 8, 12 and 16 rows against the two
# launches apart). Checks: all kernel tests (with the new test_stem_dw), the network,
# memcheck and racecheck of test_stem_dw, memcheck of test_stem and test_mbconv_dwdirect
# (their code moved into shared functions). Then two rounds of W (stemdw), N (the same build
# with BLOCKFUSE_CUDA_STEMDW=0: the band kernel's phases as functions, no fusion) and B
# (main 2dec319).
. bench/gpu_calls/setup.sh
timeout 150 .gpu/bin/gpu_kernels_test >"$OUT/k.log" 2>&1
echo "gpu_kernels_test rc=$? $(grep -c 'rel err' "$OUT/k.log") checks, max $(grep 'rel err' "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/k.log" | head -3
grep "stem+pass1" "$OUT/k.log"
timeout 60 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -20 "$OUT/net.log"; exit 1; }
grep -E "logits rel err" "$OUT/net.log"
grep -q "FAILED" "$OUT/k.log" && { grep -B3 -A10 -E "FAIL|rror" "$OUT/k.log" | head -40; exit 1; }
for s in memcheck:test_stem_dw racecheck:test_stem_dw memcheck:test_stem memcheck:test_mbconv_dwdirect; do
  tool=${s%%:*} filter=${s#*:}
  BLOCKFUSE_TEST_FILTER="$filter" timeout 200 compute-sanitizer --tool "$tool" \
    --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san.log 2>&1
  echo "$tool $filter rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' /tmp/san.log | tail -1), $(grep -c 'rel err' /tmp/san.log) checks"
done
date -u +%FT%TZ
for r in 1 2; do for side in W N B; do
  bin=.gpu/bin/gpu_bench env=""
  case $side in B) bin=.gpu/bin/gpu_bench_base ;; N) env="BLOCKFUSE_CUDA_STEMDW=0" ;; esac
  env $env BLOCKFUSE_CUDA_TUNE_LOG=1 $bin $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side$r.txt" 2>&1
  echo "$side$r graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side$r.txt")"
  echo "$side$r kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side$r.txt")"
  for blk in stem stack0.block0 stack1.block0; do
    echo "$side$r $blk us at 1/8/64/256: $(awk -v b="$blk" '$1 == b && $2 != "bucket" && NF >= 9 {printf "%s ", $5}' "$OUT/ab_$side$r.txt")"
  done
done; done
grep -E "stem \+ pass1" "$OUT/ab_W1.txt" | grep -E "batch (1|8|64|256):" | head -20
grep -E "^(stem|stack0.block0) +bucket (1|8|64|256) " "$OUT/ab_W1.txt"
date -u +%FT%TZ
