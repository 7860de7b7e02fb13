#!/usr/bin/env bash
# Session 9 call 5: D = f35e3b1 (dw_direct), E = D + the stem from a shared-memory patch
# (stem_tile_kernel), En = E with BLOCKFUSE_CUDA_STEMTILE=0. Tests, memcheck and racecheck
# of the stem tests first; then graph ms D E En, two rounds.
MEMCHECK=test_stem RACECHECK=test_stem \
  SIDES="D=.gpu/bin/gpu_bench_D E=.gpu/bin/gpu_bench En=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_STEMTILE=0" \
  exec bash bench/gpu_calls/s9_ab.sh
