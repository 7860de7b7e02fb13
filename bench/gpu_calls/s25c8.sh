#!/usr/bin/env bash
# Session 25, call 8 (branch pool-rs): the head's pooling epilogue with 4 or 8 column tiles
# per warp reduces a lane's column sums of an image by halving exchanges (14 shuffles for
# 16 columns, every lane then adding whole sums: 2 atomic instructions) instead of a
# shuffle tree per column pair (s25c7: the epilogue was 43 % of the GEMM's instructions).
# Kernel tests (test_head with 5 and 8 and 4 column tiles) and network; memcheck and
# racecheck of test_head; W (this build) against B (main, 670d990), two rounds; the head's
# per-block time at each batch.
SAN="memcheck:test_head racecheck:test_head" ROWS="head" bash bench/gpu_calls/s25_ab.sh
