#!/usr/bin/env bash
# Session 20 call 5: PASS1's stage copy from dwo (the channel sums' lambda of the two-barrier
# loop, which the 2 x 2 blocks and the strips take) four pixels a round, their shared-memory
# loads before their global stores. s20c4's direct stores from the strips and ranking with
# strips were reverted. Kernel and network tests, memcheck and racecheck of test_mbconv_se
# and test_mbconv_strips; A = 0444841 (gpu_bench_base), B = the change, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_s*" RACECHECK="test_mbconv_s*" MTIMEOUT=200 RTIMEOUT=200 \
  PLANS="stack[0-9].block[0-9] bucket 256 +\[pass1[^]]*\]" PLANS_FROM=B \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in A1 B1 A2 B2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
for f in A1 B1 A2 B2; do
  echo "$f per block at 256: $(awk '/per-block roofline, batch 256/{p=1} p' "$OUT/ab_${f}.txt" | head -22 | awk '{printf "%s ", $5}')"
done
rm -f "$OUT"/san_*.log
exit $rc
