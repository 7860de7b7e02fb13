#!/usr/bin/env bash
# Session 15 call 6: the packed-tap depthwise forms with swish (dw_chunk_h2, dw_pairs and the
# 2 x 2 blocks, dw_direct) sum their outputs for squeeze-excite in fp16 pairs per thread (one
# HADD2 a pixel pair instead of two converts and two FADDs), as dw_vec does; fp32 from the
# thread's partial on. The kernel and network tests, memcheck and racecheck of the SE tests
# (every PASS1 shape's sums reach the gates there); A = 845b588 (gpu_bench_base), B = the
# change, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=250 RTIMEOUT=280 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
echo "largest rel err, all checks:"
grep "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF, $1, $2}' | sort -g | tail -3
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
exit $rc
