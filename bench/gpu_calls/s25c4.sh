#!/usr/bin/env bash
# Session 25, call 4 (branch fc-prefetch): the head FC (gemm_kernel) with its next K chunk's
# loads in flight during this chunk's MMAs (two shared-memory buffers). Kernel tests and network;
# memcheck and racecheck of test_head; W (this build) against B (main, 8079d55), two rounds;
# the head's per-block time at each batch.
# (The commands it ran inline are bench/gpu_calls/s25_ab.sh's.)
SAN="memcheck:test_head racecheck:test_head" ROWS="head" bash bench/gpu_calls/s25_ab.sh
