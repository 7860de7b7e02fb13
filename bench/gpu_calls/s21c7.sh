#!/usr/bin/env bash
# Session 21 call 7: the review's refactor: the strip walk that dw_direct_kernel and
# dw_proj_kernel both wrote out, as one helper (dd_walk, a lambda for each pixel's output),
# without s21c6's L2 hints. The PTX moved where the strip count is computed. Kernel and
# network tests, memcheck and racecheck of test_mbconv_dwdirect; A = 697acce
# (gpu_bench_base), B = the refactor, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_dwdirect" RACECHECK="test_mbconv_dwdirect" MTIMEOUT=200 \
  RTIMEOUT=200 PLANS="stack0.block0 bucket [0-9]+ .*" PLANS_FROM=B \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -E "dwdirect" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in A1 B1 A2 B2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
for f in A1 B1 A2 B2; do
  echo "$f stack0.block0 us by batch: $(awk '/per-block roofline, batch/{b=$4} /^stack0.block0 /{printf "%s:%s ", b, $5}' "$OUT/ab_$f.txt")"
done
rm -f "$OUT"/san_*.log
exit $rc
