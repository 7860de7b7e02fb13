#!/usr/bin/env bash
# Session 11 call 10: the kept build (s11c9's C2: the expand GEMM in pairs of column tiles in
# every instantiation) through the network test, the kernel tests and racecheck of the SE tests.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
date -u +%FT%TZ
for t in gpu_backend_test gpu_kernels_test; do
  .gpu/bin/$t >"$OUT/$t.log" 2>&1
  echo "$t rc=$? $(grep -E 'PASSED|FAILED' "$OUT/$t.log" | tail -1)"
  grep -E "top-1" "$OUT/$t.log"
done
BLOCKFUSE_TEST_FILTER=test_mbconv_se timeout 100 compute-sanitizer --tool racecheck --error-exitcode 99 \
  .gpu/bin/gpu_kernels_test >"$OUT/race.log" 2>&1
echo "racecheck test_mbconv_se rc=$? $(grep -E 'RACECHECK SUMMARY' "$OUT/race.log" | tail -1) $(grep -c 'rel err' "$OUT/race.log") checks"
date -u +%FT%TZ
