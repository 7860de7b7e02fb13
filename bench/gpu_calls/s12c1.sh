#!/usr/bin/env bash
# Session 12 call 1: the eleventh session's final kernels (4c6b7d4, staged from 02e4e42) in one
# call: the kernel and network tests, the daemon's integration tests on the cuda backend,
# gpu_bench, the daemon under load and the PyTorch baseline; then the full racecheck of the SE
# tests that s11c10 cut at 100 s.
date -u +%FT%TZ
OUT=/tmp/g PHASES=test,servetest,bench,serve,torch ITERS=100 bench/gpu_bench.sh run >/tmp/g.txt 2>&1
echo "gpu_bench.sh run rc=$?"
echo "rel err lines: $(grep -c "rel err" /tmp/g.txt)"
grep -vE "^\s*$|rel err|seed" /tmp/g.txt | cut -c1-200 | tail -150
cp /tmp/g/gpu_bench.txt /tmp/g/torch.txt /tmp/g/load_*.txt "$OUT/"
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
date -u +%FT%TZ
BLOCKFUSE_TEST_FILTER=test_mbconv_se timeout 240 compute-sanitizer --tool racecheck --error-exitcode 99 \
  .gpu/bin/gpu_kernels_test >/tmp/race_se.log 2>&1
echo "racecheck test_mbconv_se rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/race_se.log | tail -1) $(grep -c 'rel err' /tmp/race_se.log) checks"
date -u +%FT%TZ
tail -5 /tmp/race_se.log
