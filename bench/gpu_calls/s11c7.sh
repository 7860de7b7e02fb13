#!/usr/bin/env bash
# Session 11 call 7: the final build (bf25674) checked: gpu_kernels_test and gpu_backend_test,
# compute-sanitizer racecheck of the SE tests (the gates by channel pairs read the reduce FC's
# output from shared memory), and the daemon's integration tests on the cuda backend.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export BLOCKFUSE_GPU_TESTS=1
date -u +%FT%TZ
BLOCKFUSE_TEST_FILTER=test_mbconv_se timeout 300 compute-sanitizer --tool racecheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test >"$OUT/race.log" 2>&1
echo "racecheck test_mbconv_se rc=$? $(grep -E 'RACECHECK SUMMARY' "$OUT/race.log" | tail -1) $(grep -c 'rel err' "$OUT/race.log") checks"
PHASES=test,servetest bench/gpu_bench.sh run 2>&1 | grep -E "PASSED|FAILED|top-1|==|rc=" | head -30
date -u +%FT%TZ
