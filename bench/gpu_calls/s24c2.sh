#!/usr/bin/env bash
# Session 24 call 2: s24c1 showed the narrow GEMM's epilogue still waiting (HADD2 69 % of the
# stalls) with the bias in registers: on the residual load, predicated off where p.res is NULL,
# whose scoreboard the next tile's A loads share. Now the kernel is built without the residual
# path where p.res is NULL (pg_res_none). Tests as s24c1; A/B W (this build) against B
# (1deebe2), tuner log: the pass-2 candidates at 256 and 64; Nsight Compute of the narrow
# kernel.
bash bench/gpu_calls/s24_narrow_ab.sh
