#!/usr/bin/env bash
# Session 27 call 5: the final run on main (the kernels of 2dec319, gpu_bench --concurrent):
# kernel and network tests, memcheck of test_mbconv_se and racecheck of test_mbconv_wg, then
# `bench/gpu_bench.sh run` (PHASES=servetest,bench,serve,torch ITERS=100, CONCURRENT=2 by
# default: gpu_bench's table of 2 instances at once and PyTorch on 2 streams at 64 and 256).
. bench/gpu_calls/setup.sh
NTIMEOUT=60 . bench/gpu_calls/checks.sh
for s in memcheck:test_mbconv_se racecheck:test_mbconv_wg; do
  tool=${s%%:*} filter=${s#*:}
  BLOCKFUSE_TEST_FILTER="$filter" timeout 150 compute-sanitizer --tool "$tool" \
    --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san.log 2>&1
  echo "$tool $filter rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' /tmp/san.log | tail -1), $(grep -c 'rel err' /tmp/san.log) checks"
done
OUT_KEEP="$OUT"
OUT=/tmp/g PHASES=servetest,bench,serve,torch ITERS=100 bench/gpu_bench.sh run >/tmp/g.txt 2>&1
echo "gpu_bench.sh run rc=$?"
grep -E "^\[ +(PASSED|FAILED) +\]|^== |FAIL|top-1|throughput|p50|requests|failed|torch|compile|eager|instances at once|streams|^ +[0-9]+ +[0-9]" /tmp/g.txt | grep -v "^stack\|^stem\|^head\|rel err.*n=" | cut -c1-170
awk '/per-block roofline, batch 256 /{p=1} p{print} p&&/^total/{exit}' /tmp/g/gpu_bench.txt
cp /tmp/g/gpu_bench.txt /tmp/g/torch.txt /tmp/g/metrics.txt /tmp/g/efficiency.json /tmp/g/load_*.txt "$OUT_KEEP/"
date -u +%FT%TZ
