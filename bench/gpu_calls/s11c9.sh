#!/usr/bin/env bash
# Session 11 call 9: the expand GEMM in pairs of column tiles per warp (each A fragment loaded
# once for two 16x16 tiles): C1 = in the instantiations with 1 or 2 CTAs per SM (no register
# change beyond +1..+5), C2 = in all of them (the 80- and 64-register ones spill more), against
# bf25674 (A). C2's kernel tests, memcheck of every MBConv kernel test and racecheck of the
# chunk tests; then (s9_ab.sh) C1's kernel and network tests and graph ms A, C1, C2.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export BLOCKFUSE_GPU_TESTS=1
date -u +%FT%TZ
.gpu/bin/gpu_kernels_test_C2 >"$OUT/kt_C2.log" 2>&1
echo "C2 gpu_kernels_test rc=$? $(grep -E 'PASSED|FAILED' "$OUT/kt_C2.log" | tail -1)"
[ "$(grep -c 'PASSED' "$OUT/kt_C2.log")" -ge 1 ] || { grep -B2 -A6 -E "FAIL|rror" "$OUT/kt_C2.log" | head -30; }
BLOCKFUSE_TEST_FILTER="test_mbconv_*" timeout 150 compute-sanitizer --tool memcheck --error-exitcode 99 \
  .gpu/bin/gpu_kernels_test_C2 >/tmp/m2.log 2>&1
echo "C2 memcheck rc=$? $(grep -E 'ERROR SUMMARY' /tmp/m2.log | tail -1) $(grep -c 'rel err' /tmp/m2.log) checks"
BLOCKFUSE_TEST_FILTER=test_mbconv_chunks timeout 120 compute-sanitizer --tool racecheck --error-exitcode 99 \
  .gpu/bin/gpu_kernels_test_C2 >/tmp/r2.log 2>&1
echo "C2 racecheck rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/r2.log | tail -1) $(grep -c 'rel err' /tmp/r2.log) checks"
MEMCHECK=none RACECHECK=none MTIMEOUT=5 RTIMEOUT=5 \
  SIDES="A=.gpu/bin/gpu_bench_base C1=.gpu/bin/gpu_bench C2=.gpu/bin/gpu_bench_C2" \
  bash bench/gpu_calls/s9_ab.sh
