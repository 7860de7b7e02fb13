#!/usr/bin/env bash
# Session 34 call 3: s34c1's commands again on the build whose wgx kernel hands its two frames
# over by a barrier of the whole CTA each step (s34c1's bar.arrive hand-over was reported by
# racecheck as RAW hazards, s34c2). The commands: bench/gpu_calls/env_ab.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
AB_ENV=BLOCKFUSE_CUDA_WGX AB_TEST=test_mbconv_wgx AB_TAG=wgx NCU_RE=mbconv_wgx . bench/gpu_calls/env_ab.sh
