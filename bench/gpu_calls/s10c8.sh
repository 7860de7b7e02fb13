#!/usr/bin/env bash
# Session 10 call 8: the final build (16fb149's kernels) under racecheck for the kernel tests
# that s10c5/s10c6 did not racecheck with it: the cluster kernel's tests and the SE tests.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export BLOCKFUSE_GPU_TESTS=1
date -u +%FT%TZ
for t in test_mbconv_cluster test_mbconv_se; do
  BLOCKFUSE_TEST_FILTER=$t timeout 130 compute-sanitizer --tool racecheck --error-exitcode 99 \
    .gpu/bin/gpu_kernels_test >/tmp/san_r.log 2>&1
  echo "racecheck $t rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/san_r.log | tail -1) $(grep -c 'rel err' /tmp/san_r.log) checks"
done
date -u +%FT%TZ
