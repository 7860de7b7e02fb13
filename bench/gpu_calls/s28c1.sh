#!/usr/bin/env bash
# Session 28 call 1: the warpgroup-MMA pass-2 GEMM with A read by the MMAs from shared memory
# (SS mode), gated there in place by its warpgroup one slice ahead (branch wgss), W against
# B = main's build (dc6612d, 2dec319's kernels). Checks: all kernel tests, the network,
# memcheck and racecheck of test_mbconv_wg; then the A/B with the tuner's tables.
SAN="memcheck:test_mbconv_wg racecheck:test_mbconv_wg" TUNE_TABLE=1 \
  ROWS="stack2.block0 stack2.block1 stack3.block1 stack4.block1 stack5.block1 stack6.block0" \
  bash bench/gpu_calls/s25_ab.sh
