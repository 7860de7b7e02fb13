#!/usr/bin/env bash
# Session 9 call 14: the stem at batch 256 again (cf24898), as s9c12: Nsight Compute
# --set full of stem_mma_kernel in one run, its details page and its source page by opcode.
exec bash bench/gpu_calls/s9c12.sh
