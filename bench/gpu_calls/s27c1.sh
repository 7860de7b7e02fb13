#!/usr/bin/env bash
# Session 27 call 1: PASS1's dw_pairs forms' thread map worked out once per CTA for full
# chunks (branch dwmap: dw_map, ~40 instructions per warp and chunk), W against B = main's
# build (2dec319). Checks: all kernel tests, the network, racecheck of test_mbconv_strips and
# test_mbconv_chunks, memcheck of test_mbconv_se; then the A/B.
SAN="racecheck:test_mbconv_strips racecheck:test_mbconv_chunks memcheck:test_mbconv_se" \
  ROWS="stack1.block1 stack2.block0 stack4.block1 stack5.block1 stack5.block2 stack6.block0" \
  bash bench/gpu_calls/s25_ab.sh
