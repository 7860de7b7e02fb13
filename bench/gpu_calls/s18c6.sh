#!/usr/bin/env bash
# Session 18 call 6: the images of a batch of 32 or more go in as 4 chunked copies on a second
# stream, the stem launched per chunk after its own copy, so that the stem of one chunk runs
# while the next copies (enqueue_net). Kernel and network tests (gpu_backend_test now runs
# buckets 32 and 38: chunks of 8, and of 10, 10, 10 and 8, with and without stale padding);
# memcheck and racecheck of test_stem (the stem kernels, unchanged); A = 84a9117
# (gpu_bench_base), B = the change, two rounds each: graph ms (with the copies) and kernels only.
TTIMEOUT=300 MEMCHECK="test_stem" RACECHECK="test_stem" MTIMEOUT=200 RTIMEOUT=200 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "PASSED|FAILED|OK \]" "$OUT/gpu_backend_test.log"
for f in A1 B1 A2 B2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
head -3 "$OUT/ab_A1.txt"; awk '/^ *batch /{print; exit}' "$OUT/ab_A1.txt"
rm -f "$OUT"/san_*.log
exit $rc
