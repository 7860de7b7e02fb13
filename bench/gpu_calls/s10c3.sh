#!/usr/bin/env bash
# Session 10 call 3: the expand GEMM over the input tile's pixels inside the image only, the row
# list in xin's row padding (B), against ebf1c5a (A): tests, memcheck of the SE tests, racecheck
# of the cluster tests, graph ms.
MEMCHECK=test_mbconv_se RACECHECK=test_mbconv_cluster MTIMEOUT=200 RTIMEOUT=200 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" exec bash bench/gpu_calls/s9_ab.sh
