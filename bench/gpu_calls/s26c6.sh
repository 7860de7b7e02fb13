#!/usr/bin/env bash
# Session 26 call 6: PASS1's depthwise form tested once per CTA instead of per chunk (dwf: the
# launch fields' tests had cost ~60 instructions per warp and chunk; branch dwform), W against
# B = main's build (3d37a63's kernels). Checks: all kernel tests, the network, racecheck of
# test_mbconv_strips and test_mbconv_chunks, memcheck of test_mbconv_se; then the A/B.
SAN="racecheck:test_mbconv_strips racecheck:test_mbconv_chunks memcheck:test_mbconv_se" \
  ROWS="stack1.block1 stack2.block0 stack4.block1 stack5.block1 stack5.block2 stack6.block0" \
  bash bench/gpu_calls/s25_ab.sh
