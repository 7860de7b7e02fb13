#!/usr/bin/env bash
# Session 14 call 10: the expand GEMM's epilogue without a branch on the padding rows (the
# swish computed for every row, the stores predicated). The kernel and network tests,
# memcheck of every MBConv kernel test and racecheck of the dw-shape tests; A = 6c98175
# (gpu_bench_base), B = the change, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_*" RACECHECK="test_mbconv_chunks" MTIMEOUT=200 RTIMEOUT=200 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
exit $rc
