#!/usr/bin/env bash
# Session 19 call 9: the two-barrier PASS1 loop (builds of 128 registers or more) with the dw
# weights and bias double-buffered, so that chunk c+1's dw copies go out with its expand copies
# after B2(c) and land while dw(c) runs, instead of after B1(c+1) behind a short expand (item 6:
# batch 8 +1-2 %). Kernel and network tests, memcheck and racecheck of test_mbconv_se (the
# racecheck of the other PASS1 tests did not fit beside the A/B); A = 716f1e1 (gpu_bench_base),
# B = the change, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_*" RACECHECK="test_mbconv_se" MTIMEOUT=210 RTIMEOUT=200 \
  PLANS="stack[0-9].block[0-9] bucket 256 +\[pass1[^]]*\]" PLANS_FROM=B \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
for f in A1 B1 A2 B2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
rm -f "$OUT"/san_*.log
exit $rc
