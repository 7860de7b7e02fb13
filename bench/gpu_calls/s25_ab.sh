#!/usr/bin/env bash
# The twenty-fifth session's A/B calls (s25c1, s25c2, s25c4, s25c6 name their checks and run
# this; the same commands each had inline): on the GPU host, repo root, .gpu/ carried.
#   1. unpack the staged binaries and the model (packed: .gpu/ sat at the carry limit);
#   2. gpu_kernels_test and gpu_backend_test; a failure stops the call;
#   3. compute-sanitizer for each TOOL:FILTER in $SAN (BLOCKFUSE_TEST_FILTER patterns), each
#      limited to $STIMEOUT s (200 by default): its rc, summary and the checks it made;
#   4. gpu_bench --batches 1,8,64,256 --iters 50 with the tuner's log, two rounds of W
#      (.gpu/bin/gpu_bench) and B (.gpu/bin/gpu_bench_base): graph and kernels ms per batch,
#      every block's µs at 256;
#   5. the µs at each batch of the blocks named in $ROWS (the per-block table's first
#      column), and with TUNE_TABLE=1 bench/tune_table.py at 256 and 64 of round 1.
# Logs: $OUT/k.log, $OUT/net.log, $OUT/ab_<W|B><""|2>.txt.
. bench/gpu_calls/setup.sh
KTIMEOUT=120 NTIMEOUT=60 . bench/gpu_calls/checks.sh
for s in $SAN; do
  tool=${s%%:*} filter=${s#*:}
  BLOCKFUSE_TEST_FILTER="$filter" timeout "${STIMEOUT:-200}" compute-sanitizer --tool "$tool" \
    --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san.log 2>&1
  echo "$tool $filter rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' /tmp/san.log | tail -1), $(grep -c 'rel err' /tmp/san.log) checks"
done
date -u +%FT%TZ
for r in "" 2; do for side in W$r B$r; do
  bin=.gpu/bin/gpu_bench
  case $side in B*) bin=.gpu/bin/gpu_bench_base ;; esac
  BLOCKFUSE_CUDA_TUNE_LOG=1 $bin $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  echo "$side 256: $(awk '$0 ~ "per-block roofline, batch 256 " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side.txt")"
done; done
for side in W B W2 B2; do
  for blk in $ROWS; do
    echo "$side $blk us at 1/8/64/256: $(awk -v b="$blk" '$1 == b && $2 != "bucket" && NF >= 9 {printf "%s ", $5}' "$OUT/ab_$side.txt")"
  done
done
if [ "${TUNE_TABLE:-0}" = 1 ]; then
  for side in W B; do for b in 256 64; do
    echo "== $side $b"; python3 bench/tune_table.py "$OUT/ab_$side.txt" $b 2>/dev/null | cut -c1-16,36-150
  done; done
fi
date -u +%FT%TZ
