#!/usr/bin/env bash
# Session 20 call 8: compute-sanitizer on the session's final build (0444841's kernels, as
# staged for s20c7): memcheck of every MBConv kernel test, racecheck of test_mbconv_se and
# test_mbconv_strips (the 2 x 2 blocks and the strips, in 8 and 16 warps).
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export BLOCKFUSE_GPU_TESTS=1
date -u +%FT%TZ
BLOCKFUSE_TEST_FILTER="test_mbconv_*" timeout 300 compute-sanitizer --tool memcheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_m.log 2>&1
echo "memcheck rc=$? $(grep -E 'ERROR SUMMARY' /tmp/san_m.log | tail -1)"
date -u +%FT%TZ
BLOCKFUSE_TEST_FILTER="test_mbconv_s*" timeout 240 compute-sanitizer --tool racecheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_r.log 2>&1
echo "racecheck rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/san_r.log | tail -1)"
for l in /tmp/san_m.log /tmp/san_r.log; do
  echo "$l: $(grep -c '^\[       OK \]' "$l") tests passed, $(grep -c 'rel err' "$l") checks"
  grep -E "^\[  (FAILED|PASSED) " "$l"
  xz -c "$l" >"$OUT/$(basename "$l").xz"
done
date -u +%FT%TZ
