#!/usr/bin/env bash
# Session 13 call 6: the pass-2 GEMMs' epilogues as one (pg_store_acc with the residual read
# from global memory or, in the cp.async per-tile kernel, from its residual tile in shared
# memory; pg_zero_acc): a refactor, which changes the registers of the per-tile and cluster
# instantiations by -5 to +3. The kernel and network tests, memcheck and racecheck of the SE
# tests (every GEMM form), then s13c3's build (A, commit 1eca1a7's kernels) against this one (B).
TTIMEOUT=240 MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=150 RTIMEOUT=220 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -B3 -A12 -E "FAIL|rror" "$OUT/gpu_kernels_test.log" | head -40
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
exit $rc
