#!/usr/bin/env bash
# Session 24 call 8: the narrow GEMM's stores without a residual as 16 bytes per lane
# (narrow_store_wide: each quad's fp16 pairs transposed by three shuffles, so that a warp's
# store writes 512 contiguous bytes; pg_store_acc's 4-byte stores wrote 8 rows' 16-byte pieces
# each), the <1, 2> build held to 64 registers. Tests as s24c1; A/B W (this build) against B
# (1deebe2), tuner log: the pass-2 candidates at 256 and 64; Nsight Compute of the narrow
# kernel.
bash bench/gpu_calls/s24_narrow_ab.sh
