#!/usr/bin/env bash
# Session 18 call 3: the bulk-copy pass-2 GEMMs' per-slice address arithmetic and epilogue
# (s18c2: ~80 of a warp's ~160 instructions per slice recomputed the swizzles of every
# ldmatrix address, and the store epilogue took ~40 instructions per output pair). Now the
# lane's swizzled offsets are worked out once per thread (pg_swz_lane, pg_mma_slice_swz) and
# the epilogue addresses one 64-bit base per lane plus 32-bit row offsets. Kernel and network
# tests, memcheck and racecheck of test_mbconv_se (every pass-2 GEMM form);
# A = 3fd0a1d's kernels (gpu_bench_base), B = the change, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=300 RTIMEOUT=300 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
exit $rc
