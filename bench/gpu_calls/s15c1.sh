#!/usr/bin/env bash
# Session 15 call 1: the packed-tap depthwise forms (dwh2: dw_chunk_h2, dw_pairs with H2, the
# 2 x 2 blocks, dw_direct) sum every tap into an fp16 accumulator that starts from the bias,
# where they had summed each kernel row in fp16 and the rows in fp32 (two converts and two
# FADDs per row and pair). The kernel and network tests (the largest relative errors of the
# dwh2 checks printed), memcheck of every MBConv kernel test and racecheck of the dw-shape
# tests (the arithmetic, not the shared memory, changed); A = 04b50d5 (gpu_bench_base),
# B = the change, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_*" RACECHECK="test_mbconv_chunks" \
  MTIMEOUT=200 RTIMEOUT=200 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
echo "largest rel err, dwh2 checks:"
grep "dwh2.*rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF, $1, $2}' | sort -g | tail -4
echo "largest rel err, all checks:"
grep "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF, $1, $2}' | sort -g | tail -3
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
exit $rc
