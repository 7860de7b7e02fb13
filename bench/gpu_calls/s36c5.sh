#!/usr/bin/env bash
# Session 36 call 5 (branch wgx-taps 3rd commit): s36c3's kernel with the depthwise warps'
# hand-over of the taps' stage by an mbarrier (every depthwise thread arrives after reading its
# taps, then waits) instead of a named barrier, which racecheck reported as 17 904 WAR hazards on
# the frames (s36c4: every one between a depthwise read and the expand's store of the frame a
# step later, across the CTA barrier). Racecheck and memcheck of test_mbconv_wgx first, then
# wgxtp_ab.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
SAN_TESTS=test_mbconv_wgx SAN_TIMEOUT=100 . bench/gpu_calls/sanitize.sh
. bench/gpu_calls/wgxtp_ab.sh
