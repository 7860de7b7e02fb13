#!/usr/bin/env bash
# Session 9 call 16: the review's pixel-GEMM clean-up (pg_load_b for both kernels' weight
# slices, one row helper for the streaming kernel's two cursors) against 33b8b53.
MEMCHECK=test_mbconv_se RACECHECK=test_mbconv_se RTIMEOUT=290 \
  SIDES="D=.gpu/bin/gpu_bench_D E=.gpu/bin/gpu_bench" \
  PLANS='^[a-z0-9.]+ +bucket 256 .*staged gemm[^]]*' PLANS_FROM=E exec bash bench/gpu_calls/s9_ab.sh
