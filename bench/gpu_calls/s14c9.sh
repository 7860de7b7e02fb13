#!/usr/bin/env bash
# Session 14 call 9: the band stem with its rows per CTA from the batch and the SMs (two CTAs
# per SM at least, halving the rows; the gathering kernel where one-row bands would leave SMs
# idle: batch 1). The kernel tests (test_stem also with CUDA_TEST_STEMBAND: the most rows per
# CTA), the network test, memcheck and racecheck of test_stem; A = 7891618 (gpu_bench_base),
# B = the change, two rounds each; then B against PyTorch (bench/gpu_bench.sh
# run: gpu_bench and PyTorch; the daemon is left out of .gpu to stay under the carry limit).
TTIMEOUT=300 MEMCHECK="test_stem" RACECHECK="test_stem" MTIMEOUT=200 RTIMEOUT=240 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "^stem" "$OUT/gpu_kernels_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
[ $rc = 0 ] || exit $rc
OUT=/tmp/g PHASES=bench,torch ITERS=100 bench/gpu_bench.sh run >/tmp/g.txt 2>&1
echo "gpu_bench.sh run rc=$?"
grep -E "^\[ +(PASSED|FAILED) +\]|^== |FAIL|throughput|p50|requests|failed|torch|compile|eager|^ +[0-9]+ +[0-9]" /tmp/g.txt | grep -v "^stack\|^stem\|^head" | cut -c1-160
cp /tmp/g/gpu_bench.txt "$OUT/"
date -u +%FT%TZ
