#!/usr/bin/env bash
# Session 9 call 13: D = e6115e3 (the session's kernels), E = D + the stem's pixel cursor (one
# division per lane instead of one per pixel row; 2 CTAs per SM for CoutP <= 48). Tests,
# memcheck and racecheck of the stem tests first; then graph ms D E, two rounds.
MEMCHECK=test_stem RACECHECK=test_stem \
  SIDES="D=.gpu/bin/gpu_bench_D E=.gpu/bin/gpu_bench" \
  exec bash bench/gpu_calls/s9_ab.sh
