#!/usr/bin/env bash
# Session 12 call 9: the SE tests' new check of many images per pass-2 GEMM tile (40 images of
# 2x2 outputs: a 64-row tile spans 17 images, a 128-row one 33, so the gate copies take two
# passes of the CTA's threads), on the session's kept kernels: the SE tests, then memcheck and
# racecheck of them.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export BLOCKFUSE_GPU_TESTS=1 BLOCKFUSE_TEST_FILTER=test_mbconv_se
date -u +%FT%TZ
.gpu/bin/gpu_kernels_test >"$OUT/se.log" 2>&1
echo "test_mbconv_se rc=$? $(grep -E 'PASSED|FAILED' "$OUT/se.log" | tail -1) $(grep -c 'rel err' "$OUT/se.log") checks"
grep -E "n=40" "$OUT/se.log"
grep -B2 -A8 -E "FAIL|rror" "$OUT/se.log" | head -20
for tool in memcheck racecheck; do
  timeout 240 compute-sanitizer --tool $tool --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/$tool.log 2>&1
  echo "$tool rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' /tmp/$tool.log | tail -1) $(grep -c 'rel err' /tmp/$tool.log) checks"
done
date -u +%FT%TZ
