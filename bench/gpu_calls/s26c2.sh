#!/usr/bin/env bash
# Session 26 call 2: W = the chunk loop's copies with stepped addresses (cp_rows: the 16-byte
# copies of the expand and dw weights; stage_copy: PASS1's copy of dwo to the stage with
# 32-bit pixel offsets), B = main's build (.gpu/bin/gpu_bench_base). s26c1 counted 16
# instructions per weight copy (8.4 % of a 7x7 block's PASS1). Checks: all kernel tests, the
# network, memcheck of test_mbconv_se and racecheck of test_mbconv_strips; then the A/B.
SAN="memcheck:test_mbconv_se racecheck:test_mbconv_strips" \
  ROWS="stack1.block0 stack1.block1 stack2.block0 stack4.block1 stack5.block1 stack6.block0" \
  TUNE_TABLE=1 bash bench/gpu_calls/s25_ab.sh
