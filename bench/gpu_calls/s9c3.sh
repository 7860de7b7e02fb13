#!/usr/bin/env bash
# Session 9 call 3: A = 83cd456 (streaming GEMM, 4 stages), B = A + 8 stages in the
# streaming GEMM, C = B + the no-expand input copy with four loads in flight per thread.
# Tests, memcheck and racecheck of C first; then graph ms A B C, two rounds.
MEMCHECK="test_mbconv_*" RACECHECK=test_mbconv_se \
  SIDES="A=.gpu/bin/gpu_bench_A B=.gpu/bin/gpu_bench_B C=.gpu/bin/gpu_bench" \
  PLANS='^[a-z0-9.]+ +bucket 256 .*staged gemm[^]]*' PLANS_FROM=C \
  exec bash bench/gpu_calls/s9_ab.sh
