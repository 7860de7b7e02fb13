#!/usr/bin/env bash
# Session 10 call 6: the depthwise conv in 2 x 2 output blocks per thread (dwquads, D) against
# 3dd6185 (C): tests, memcheck of every MBConv kernel test, racecheck of the chunk tests (every
# chunk width with dwquads), graph ms, and which launches the tuner gave dwquads.
MEMCHECK="test_mbconv_*" RACECHECK=test_mbconv_chunks MTIMEOUT=200 RTIMEOUT=200 \
  SIDES="C=.gpu/bin/gpu_bench_C D=.gpu/bin/gpu_bench" \
  PLANS="stack[0-9].block[0-9] bucket (64|256) .{0,70}" PLANS_FROM=D exec bash bench/gpu_calls/s9_ab.sh
