#!/usr/bin/env bash
# Session 25 call 6 (branch expand-tail): PASS1's paired expand GEMM ends with single column
# tiles where its last round of row tiles fills at most half the warps of a pair (builds of
# 80 registers or more). Kernel tests and network; memcheck of test_mbconv_se, racecheck of
# test_mbconv_chunks and test_mbconv_strips; W (this build) against B (main, 670d990), two
# rounds; the 7x14-tile blocks' per-block times at each batch.
# (The commands it ran inline are bench/gpu_calls/s25_ab.sh's.)
SAN="memcheck:test_mbconv_se racecheck:test_mbconv_*s" \
  ROWS="stack1.block0 stack2.block0 stack3.block0" bash bench/gpu_calls/s25_ab.sh
