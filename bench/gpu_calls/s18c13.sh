#!/usr/bin/env bash
# Session 18 call 13: PASS1's per-chunk weight copies (cp_rows, power-of-two widths): one source
# pointer stepped over the rows instead of a 64-bit row product per copy (s18c12: 16
# instructions a copy, 7 % of stack5.block1's PASS1). Kernel and network tests, memcheck of
# every MBConv kernel test, racecheck of test_mbconv_chunks; A = 4a6340b (gpu_bench_base),
# B = the change, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_*" RACECHECK="test_mbconv_chunks" MTIMEOUT=320 RTIMEOUT=200 \
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
