#!/usr/bin/env bash
# Session 25, call 2 (branch stem-wide): the tensor-core stems' epilogue with 16-byte stores
# (each 4 column tiles' fp16 pairs regrouped by quad_transpose). Kernel tests and network;
# memcheck and racecheck of test_stem; W (this build) against B (main, 8079d55), two rounds;
# the stem's per-block time at each batch.
# (The commands it ran inline are bench/gpu_calls/s25_ab.sh's.)
SAN="memcheck:test_stem racecheck:test_stem" ROWS="stem" bash bench/gpu_calls/s25_ab.sh
