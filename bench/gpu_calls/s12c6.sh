#!/usr/bin/env bash
# Session 12 call 6: the streaming pass-2 GEMM prefetches the next slice's gates into L1
# (prefetch.global.L1, no registers held; the next tile's rows are taken before the last
# slice's MMAs) so that its gate loads hit L1 (C), against 47dd366 (B). C's kernel and network
# tests, memcheck and racecheck of the SE tests (the streaming checks among them), graph ms of
# B and C alternating, C's plans at 256.
MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=150 RTIMEOUT=200 \
  SIDES="B=.gpu/bin/gpu_bench_B C=.gpu/bin/gpu_bench" \
  PLANS="stack[0-9]\.block[0-9] bucket 256 .*staged gemm[^]]*" PLANS_FROM=C bash bench/gpu_calls/s9_ab.sh
