#!/usr/bin/env bash
# Session 16 call 7: dw_pairs (two rows, and the 2 x 2 blocks) store PASS1's outputs straight
# to the stage in global memory, a channel pair per thread and pixel, instead of into dwo for
# the chunk's copy loop (as dw_vec does since 0e3846b); the non-PASS1 builds compile the stage
# out (ST). The kernel and network tests, memcheck of the MBConv tests, racecheck of
# test_mbconv_se (the 2 x 2 blocks and pairs with a stage); A = a32a00f (gpu_bench_base),
# B = the change, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_*" RACECHECK="test_mbconv_se" MTIMEOUT=200 RTIMEOUT=200 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
exit $rc
