#!/usr/bin/env bash
# Session 15 call 8: dw_vec stores PASS1's outputs straight to the stage in global memory (one
# 16-byte store per thread and pixel) instead of into dwo for the chunk's separate copy loop
# (PASS1 projects nothing, so dwo had no other reader). The kernel and network tests, memcheck
# and racecheck of test_mbconv_chunks (dw_vec with and without a stage); A = 517d94e
# (gpu_bench_base), B = the change, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_chunks" RACECHECK="test_mbconv_chunks" MTIMEOUT=150 \
  RTIMEOUT=150 SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E " vec .*rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF, $1, $2}' | sort -g | tail -2
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
exit $rc
