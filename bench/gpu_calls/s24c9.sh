#!/usr/bin/env bash
# Session 24 call 9: s24c8's wide stores left the narrow GEMM's epilogue waiting on its bias
# loads (the bias reread from L2 every tile: 69.5 % of the stall samples). The bias now sits
# in shared memory, copied once per CTA. Tests as s24c1; A/B W (this build) against B
# (1deebe2), tuner log: the pass-2 candidates at 256 and 64; Nsight Compute of the narrow
# kernel.
bash bench/gpu_calls/s24_narrow_ab.sh
