#!/usr/bin/env bash
# Session 16 call 2: where the small-image PASS1 launches spend their issue slots after s16c1.
# Nsight Compute source counters of the 10th and 13th mbconv_kernel launches of a batch-256
# run (stack4.block2's and stack5.block2's PASS1; stack0 runs dw_direct), the SASS-level CSV and
# the SASS with line info (nvdisasm -g) of the mbconv kernels, packed into $OUT for reading on
# the build host.
LAUNCHES="9 12" bash bench/gpu_calls/s16_src.sh
