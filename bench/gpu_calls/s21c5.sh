#!/usr/bin/env bash
# Session 21 call 5: where the session's final build (697acce's kernels, as tested in s21c4)
# stands. compute-sanitizer first (memcheck of every MBConv kernel test, racecheck of
# test_mbconv_dwdirect, the kernels this session changed), then the kernel and network tests, the daemon's
# integration tests on the cuda backend, gpu_bench at batches 1, 8, 64 and 256 (100
# iterations), serving under loadgen (JPEG, v2 JSON, uint8 tensors), and the PyTorch baseline
# (timm efficientnet_b0, fp16, channels_last, cudnn.benchmark; eager, torch.compile,
# torch.compile with CUDA graphs) in the same call.
bench/gpu_bench.sh unpack || exit 1
(
  export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
  export BLOCKFUSE_GPU_TESTS=1
  date -u +%FT%TZ
  BLOCKFUSE_TEST_FILTER="test_mbconv_*" timeout 200 compute-sanitizer --tool memcheck \
    --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_m.log 2>&1
  echo "memcheck rc=$? $(grep -E 'ERROR SUMMARY' /tmp/san_m.log | tail -1)"
  BLOCKFUSE_TEST_FILTER="test_mbconv_dwdirect" timeout 200 compute-sanitizer --tool racecheck \
    --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_r.log 2>&1
  echo "racecheck rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/san_r.log | tail -1)"
  for l in /tmp/san_m.log /tmp/san_r.log; do
    echo "$l: $(grep -c '^\[       OK \]' "$l") tests passed, $(grep -c 'rel err' "$l") checks"
    grep -E "^\[  (FAILED|PASSED) |^\[ RUN" "$l" | tr '\n' ' '; echo
  done
  date -u +%FT%TZ
)
OUT_KEEP="$OUT"
OUT=/tmp/g PHASES=test,servetest,bench,serve,torch ITERS=100 bench/gpu_bench.sh run >/tmp/g.txt 2>&1
echo "gpu_bench.sh run rc=$?"
grep -E "^\[ +(PASSED|FAILED) +\]|^== |FAIL|top-1|throughput|p50|requests|failed|torch|compile|eager|^ +[0-9]+ +[0-9]" /tmp/g.txt | grep -v "^stack\|^stem\|^head\|rel err.*n=" | cut -c1-170
cp /tmp/g/gpu_bench.txt /tmp/g.txt /tmp/g/torch.txt /tmp/g/metrics.txt /tmp/g/efficiency.json "$OUT_KEEP/"
date -u +%FT%TZ
