#!/usr/bin/env bash
# Session 12 call 5: the gates a slice ahead in the per-tile pass-2 GEMM only (PG_STORE: no K
# split, no sefuse; s12c4 showed the per-tile GEMMs gain and the streaming one of stack0 lose,
# so the streaming kernel and the K-split / sefuse forms keep their loads as in fdcf693), with
# the tuner's pass-2 GEMM candidates at every column split between the fewest and twice that
# (s12c4's C). The new build's kernel and network tests, memcheck and racecheck of the SE tests,
# graph ms of fdcf693 (A) and the new build (B) alternating; then, for the new build, the
# daemon's integration tests on the cuda backend, gpu_bench, the daemon under load and the
# PyTorch baseline (bench/gpu_bench.sh run).
MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=150 RTIMEOUT=200 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" \
  PLANS="stack[0-9]\.block[0-9] bucket 256 .*staged gemm[^]]*" PLANS_FROM=B bash bench/gpu_calls/s9_ab.sh || exit 1
OUT=/tmp/g PHASES=servetest,bench,serve,torch ITERS=100 bench/gpu_bench.sh run >/tmp/g.txt 2>&1
echo "gpu_bench.sh run rc=$?"
grep -E "^\[ +(PASSED|FAILED) +\]|^== |FAIL|throughput|p50|requests|failed|torch|compile|eager|^ +[0-9]+ +[0-9]" /tmp/g.txt | grep -v "^stack\|^stem\|^head" | cut -c1-160
cp /tmp/g/gpu_bench.txt "$OUT/"
date -u +%FT%TZ
