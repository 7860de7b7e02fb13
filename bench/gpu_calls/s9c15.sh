#!/usr/bin/env bash
# Session 9 call 15: D = cf24898 (the stem's pixel cursor), E = D + the stem's interior windows
# without a test per tap, and the normalisation as one FMA (byte * is + nm). Tests,
# memcheck and racecheck of the stem tests first; then graph ms D E, two rounds.
MEMCHECK=test_stem RACECHECK=test_stem \
  SIDES="D=.gpu/bin/gpu_bench_D E=.gpu/bin/gpu_bench" \
  exec bash bench/gpu_calls/s9_ab.sh
