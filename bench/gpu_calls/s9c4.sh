#!/usr/bin/env bash
# Session 9 call 4: A = 83cd456 (streaming GEMM), D = A + dw_direct.cu (PASS1 of blocks without
# expansion from global memory), D with BLOCKFUSE_CUDA_DWDIRECT=0 (Dn). Tests, memcheck and
# racecheck of the dw_direct tests first; then graph ms A D Dn, two rounds.
MEMCHECK=test_mbconv_dwdirect RACECHECK=test_mbconv_dwdirect \
  SIDES="A=.gpu/bin/gpu_bench_A D=.gpu/bin/gpu_bench Dn=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_DWDIRECT=0" \
  PLANS='^stack0\.block0 +bucket (1|256) .*' PLANS_FROM=D \
  exec bash bench/gpu_calls/s9_ab.sh
