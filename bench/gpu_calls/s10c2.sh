#!/usr/bin/env bash
# Session 10 call 2: the expand GEMM over the input tile's pixels inside the image only (B)
# against ebf1c5a (base): kernel and network tests, memcheck and racecheck, graph ms.
MEMCHECK=test_mbconv_chunks RACECHECK=test_mbconv_plain MTIMEOUT=150 RTIMEOUT=150 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" \
  PLANS="stack[0-9].block[0-9] bucket 256 .{0,60}" PLANS_FROM=B exec bash bench/gpu_calls/s9_ab.sh
