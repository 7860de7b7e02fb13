#!/usr/bin/env bash
# Session 24 call 4: with two buffers (s24c3) the narrow GEMM's HMUL2s waited on their own
# tile's loads: one tile in flight per warp. Now a ring of D tiles in the registers (D 4 for
# K = 32, 3 for 64, 2 for 96), the loop D tiles at a time; the <1, 2> build without residual
# held to 80 registers (3 CTAs a multiprocessor). Tests as s24c1; A/B W (this build) against B
# (1deebe2), tuner log: the pass-2 candidates at 256 and 64; Nsight Compute of the narrow
# kernel.
bash bench/gpu_calls/s24_narrow_ab.sh
