#!/usr/bin/env bash
# Session 34 call 5: s34c3's A/B and sanitizers on the build whose wgx kernel runs both roles in
# one step loop with the CTA barrier at one place (the role a lane-0 broadcast, so ptxas still
# sees the warpgroup MMAs outside a divergent branch), the depthwise taps loaded in each step
# (carried a step ahead, they made ptxas spill in the k = 5 builds). s34c3's racecheck had
# reported the hand-over between barriers at two places as hazards (s34c4).
# The commands: bench/gpu_calls/env_ab.sh (no Nsight Compute).
exec > >(tee "$OUT/summary.txt") 2>&1
AB_ENV=BLOCKFUSE_CUDA_WGX AB_TEST=test_mbconv_wgx AB_TAG=wgx . bench/gpu_calls/env_ab.sh
