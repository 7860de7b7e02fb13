#!/usr/bin/env bash
# Session 9 call 7: D = f35e3b1 (dw_direct), F = D + the 8-channel depthwise walk (dw_octs,
# a.dw8), Fn = F with BLOCKFUSE_CUDA_DW8=0. Tests, memcheck of the MBConv tests and racecheck
# of the chunk tests first; then graph ms D F Fn, two rounds; the plans at 256.
MEMCHECK="test_mbconv_*" RACECHECK=test_mbconv_chunks MTIMEOUT=280 RTIMEOUT=280 \
  SIDES="D=.gpu/bin/gpu_bench_D F=.gpu/bin/gpu_bench Fn=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_DW8=0" \
  PLANS='^[a-z0-9.]+ +bucket 256 +\[pass1 [^]]*\]' PLANS_FROM=F \
  exec bash bench/gpu_calls/s9_ab.sh
