#!/usr/bin/env bash
# Session 16 call 8: PASS1's per-chunk channel sums, which every warp waits for at the chunk's
# last barrier, add four partial rows at a time (four loads in flight) instead of a chain of
# load-add round trips; the PASS1 builds skip zeroing dwo's rows past the tile (only the
# projection reads them), and the other builds compile PASS1's sums out. The kernel and network
# tests, memcheck of the MBConv tests, racecheck of test_mbconv_se; A = a32a00f
# (gpu_bench_base), B = the change, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_*" RACECHECK="test_mbconv_se" MTIMEOUT=200 RTIMEOUT=200 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
exit $rc
