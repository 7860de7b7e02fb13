#!/usr/bin/env bash
# Session 9 call 18: the review's pg_store_pair (the per-tile and streaming GEMMs' stores of an
# output pair through one helper; the per-tile kernels' PTX is unchanged) against 0fcc615.
MEMCHECK=test_mbconv_se RACECHECK=test_mbconv_se RTIMEOUT=290 \
  SIDES="E=.gpu/bin/gpu_bench D=.gpu/bin/gpu_bench_D" exec bash bench/gpu_calls/s9_ab.sh
