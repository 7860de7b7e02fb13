#!/usr/bin/env bash
# Session 17 call 6: (1) the tensor-core stems' swish on the fp16 pair from halved weights and
# bias, the MMA starting from the bias (swish_h2_halved, as the expand GEMMs do; s17c1: the stem
# 168.5 µs, SM 73 % busy); (2) the head's FC GEMM split over about two CTAs per SM (s17c1: 18.6
# µs for 64 tiles x 2 splits of 20 unpipelined K chunks each). Kernel and network tests
# (test_stem now also runs the run-time act path: ReLU6 in every fifth case), memcheck and
# racecheck of test_stem, memcheck of test_head; A = 0ae1cb8 (gpu_bench_base), B = the change.
TTIMEOUT=300 MEMCHECK="test_stem" RACECHECK="test_stem" MTIMEOUT=200 RTIMEOUT=240 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -E "^stem.*rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
BLOCKFUSE_TEST_FILTER=test_head compute-sanitizer --tool memcheck --error-exitcode 99 \
  .gpu/bin/gpu_kernels_test 2>&1 | grep -E "ERROR SUMMARY|PASSED|FAILED"
exit $rc
