#!/usr/bin/env bash
# Session 18 call 8: the streaming bulk-copy pass 2 (pixel_gemm_bulks_kernel: stack1 and stack2
# at 256, their A slices streaming from DRAM at 56-65 % of its bandwidth in s18c1) with 6 A
# stages in flight instead of 4 (CUDA_PG_BULKS_STAGES). Kernel and network tests, memcheck and
# racecheck of test_mbconv_se; A = 84a9117 (gpu_bench_base), B = the change, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=300 RTIMEOUT=300 \
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
