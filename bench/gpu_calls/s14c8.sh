#!/usr/bin/env bash
# Session 14 call 8: the stem from bands of input rows in shared memory (stem_band_kernel:
# the band's bytes by 4-byte loads, normalised once per pixel into fp16 [rows][cols][4], the
# implicit GEMM's K as 9 taps x 4). The kernel tests (test_stem: stride 2 and 1, CoutP 32 /
# 48 / 64, bands of 8 rows and of one, and the old kernel with BLOCKFUSE_CUDA_STEMBAND=0),
# the network test, memcheck and racecheck of test_stem; then A = 7891618 (gpu_bench_base),
# B = the change, C = B with BLOCKFUSE_CUDA_STEMBAND=0, two rounds each.
TTIMEOUT=300 MEMCHECK="test_stem" RACECHECK="test_stem" MTIMEOUT=200 RTIMEOUT=240 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench C=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_STEMBAND=0" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -B3 -A12 -E "FAIL|rror" "$OUT/gpu_kernels_test.log" | head -40
grep -E "^stem" "$OUT/gpu_kernels_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
exit $rc
