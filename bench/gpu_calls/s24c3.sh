#!/usr/bin/env bash
# Session 24 call 3: s24c2 moved the narrow GEMM's stall from the epilogue to the moves copying
# the next tile's A into the current buffer at the end of each tile (they wait for its loads:
# 63 % of the stall samples). Now two buffers alternate (the loop takes tiles in pairs), and
# the <1, 2> build without residual is held to 64 registers (4 CTAs a multiprocessor). Tests
# as s24c1; A/B W (this build) against B (1deebe2), tuner log: the pass-2 candidates at 256
# and 64; Nsight Compute of the narrow kernel.
bash bench/gpu_calls/s24_narrow_ab.sh
