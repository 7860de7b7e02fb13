#!/usr/bin/env bash
# Session 11 call 1: the SE kernel in its batched form (8 images per CTA, from 32 images where
# the per-image kernel took its large-grid form) and the stem's gathers one tile ahead, against
# the session's start (8ca3573, A): tests, memcheck of the stem and SE tests, racecheck of the
# batched SE tests, then graph ms of A, B (both changes, BLOCKFUSE_CUDA_SEBATCH=0: the stem
# alone) and C (both), two rounds alternating, and C's per-block µs at batch 256.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export BLOCKFUSE_GPU_TESTS=1
date -u +%FT%TZ
for t in test_stem test_mbconv_se_batch; do
  BLOCKFUSE_TEST_FILTER=$t timeout 150 compute-sanitizer --tool memcheck --error-exitcode 99 \
    .gpu/bin/gpu_kernels_test >"$OUT/mem_$t.log" 2>&1
  echo "memcheck $t rc=$? $(grep -E 'ERROR SUMMARY' "$OUT/mem_$t.log" | tail -1) $(grep -c 'rel err' "$OUT/mem_$t.log") checks"
done
BLOCKFUSE_TEST_FILTER=test_mbconv_se_batch timeout 150 compute-sanitizer --tool racecheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test >"$OUT/race.log" 2>&1
echo "racecheck test_mbconv_se_batch rc=$? $(grep -E 'RACECHECK SUMMARY' "$OUT/race.log" | tail -1) $(grep -c 'rel err' "$OUT/race.log") checks"
MEMCHECK=none RACECHECK=none MTIMEOUT=5 RTIMEOUT=5 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_SEBATCH=0 C=.gpu/bin/gpu_bench" \
  bash bench/gpu_calls/s9_ab.sh
grep -E "sebatch" "$OUT/gpu_kernels_test.log" | head -14
