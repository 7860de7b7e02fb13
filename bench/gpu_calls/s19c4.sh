#!/usr/bin/env bash
# Session 19 call 4: s19c3 with the two-barrier PASS1 loop only in the builds of 128 registers or
# more (8 warps where at most 2 CTAs fit, 16 warps): the 80- and 64-register builds keep the
# four-barrier loop less B4 (the other loop spilled their registers: stack1.block0 +31 µs in
# s19c3). B1(c) orders dw(c-1) before expand(c), D(c)'s copies (landing while
# expand(c) runs) and chunk c-1's channel sums beside expand(c); B3 and B4 are gone. And the
# 8-warp PASS1 builds with 128 registers where at most 2 CTAs fit in shared memory (3 CTAs'
# 80-register cap kept where they fit). With dw_run (s19c1). Kernel and network tests,
# memcheck and racecheck of every MBConv kernel test; A = 506108f (gpu_bench_base), B = the
# change, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_*" RACECHECK="test_mbconv_*" MTIMEOUT=210 RTIMEOUT=230 \
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
