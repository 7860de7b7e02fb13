#!/usr/bin/env bash
# Session 18 call 5b (same warm machine as s18c5, same staged build): memcheck of test_head and
# racecheck of test_mbconv_se on the pg_load_b change, which s18c5's script ran without the
# tests' environment.
bench/gpu_bench.sh unpack >/dev/null
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH" RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
BLOCKFUSE_TEST_FILTER="test_head" timeout 200 compute-sanitizer --tool memcheck --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/m2.log 2>&1
echo "memcheck test_head rc=$? $(grep -E 'ERROR SUMMARY' /tmp/m2.log | tail -1) $(grep -c 'rel err' /tmp/m2.log) checks"
BLOCKFUSE_TEST_FILTER="test_mbconv_se" timeout 300 compute-sanitizer --tool racecheck --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/r2.log 2>&1
echo "racecheck test_mbconv_se rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/r2.log | tail -1) $(grep -c 'rel err' /tmp/r2.log) checks"
