#!/usr/bin/env bash
# Session 19 call 6: s19c5 with the four-barrier PASS1 loop of the 80- and 64-register builds
# back to 506108f's text (its channel sums inline, not through the two-barrier loop's helper;
# s19c4/s19c5's stack1.block0, the 80-register dw_vec build, took +13-16 µs). Kernel and
# network tests, memcheck and racecheck of every MBConv kernel test; A = 506108f
# (gpu_bench_base), B = the change, two rounds each, both with the tuner's log (PASS1 times).
TTIMEOUT=300 MEMCHECK="test_mbconv_*" RACECHECK="test_mbconv_*" MTIMEOUT=210 RTIMEOUT=230 \
  PLANS="stack[0-9].block[0-9] bucket 256 +\[pass1[^]]*\]" PLANS_FROM=B \
  SIDES="A=.gpu/bin/gpu_bench_base:BLOCKFUSE_CUDA_TUNE_LOG=1 B=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_TUNE_LOG=1" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
for f in A1 B1 A2 B2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
for f in A1 B1; do
  echo "$f ranked PASS1 at 256:"
  grep "batch 256: .*(ranked)" "$OUT/ab_$f.txt" | awk '{printf "%s %s %s ", $2, $(NF-2), $6} END {print ""}'
done
rm -f "$OUT"/san_*.log
exit $rc
