#!/usr/bin/env bash
# Session 16 call 4: where the large-image PASS1 launches spend their issue slots after s16c3.
# Nsight Compute source counters of stack1.block0's and stack1.block1's PASS1 (the 1st and
# 2nd mbconv_kernel launches of a batch-256 run), the SASS-level CSV and the SASS with line
# info (nvdisasm -g) of the mbconv kernels, packed into $OUT for reading on the build host.
LAUNCHES="0 1" bash bench/gpu_calls/s16_src.sh
