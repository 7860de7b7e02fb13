#!/usr/bin/env bash
# Session 9 call 10: D = f35e3b1 (the kernels of the session's end so far), G = D + the SE MLP in
# PASS1's last CTA per image (se_last), Gn = G with BLOCKFUSE_CUDA_SELAST=0. Tests, memcheck
# and racecheck of the SE tests first; then graph ms D G Gn, two rounds; the plans at 256.
MEMCHECK=test_mbconv_se RACECHECK=test_mbconv_se MTIMEOUT=280 RTIMEOUT=290 \
  SIDES="D=.gpu/bin/gpu_bench_D G=.gpu/bin/gpu_bench Gn=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_SELAST=0" \
  PLANS='^[a-z0-9.]+ +bucket 256 +\[pass1 [^]]*\]' PLANS_FROM=G \
  exec bash bench/gpu_calls/s9_ab.sh
