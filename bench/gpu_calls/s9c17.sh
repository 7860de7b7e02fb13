#!/usr/bin/env bash
# Session 9 call 17: s9c16 again with the sides in the other order (its timings were noisy
# and its sanitizer lines were cut from the output).
MEMCHECK=test_mbconv_se RACECHECK=test_mbconv_se RTIMEOUT=290 \
  SIDES="E=.gpu/bin/gpu_bench D=.gpu/bin/gpu_bench_D" exec bash bench/gpu_calls/s9_ab.sh
