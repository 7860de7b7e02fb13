#!/usr/bin/env bash
# Session 25, call 1 (branch wide2: s24c11 had run its W against itself in round one,
# a bug in the side test). W: wide2 with the narrow GEMM on pg_store_acc WIDE; B: main 09921ae.
# s24c10's 16-byte stores in the warpgroup-MMA GEMM (pg_store_acc's WIDE, which s24c10 showed
# 1-3 us faster per block there) and in the streaming bulk-copy GEMM up to 64 columns (with
# the quad transpose as two in-place butterfly stages its 80-register build no longer spills);
# the narrow GEMM's epilogue is now pg_store_acc's too (WIDE where no residual); the
# streaming and per-tile GEMMs' epilogues otherwise as 0495707's.
# As s24c10: kernel tests and network; memcheck of test_mbconv_wg, _se and _narrow, racecheck
# of test_mbconv_narrow; W (this build) against B (main, 09921ae), two rounds, the tuner's log;
# tune_table at 256 and 64 for both.
# (The commands it ran inline are bench/gpu_calls/s25_ab.sh's.)
SAN="memcheck:test_mbconv_wg memcheck:test_mbconv_se memcheck:test_mbconv_narrow racecheck:test_mbconv_narrow" \
  TUNE_TABLE=1 bash bench/gpu_calls/s25_ab.sh
