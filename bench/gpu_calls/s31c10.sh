#!/usr/bin/env bash
# Session 31 call 10: s31c9 again after px_out_pair took its activation as an argument (the MLP
# kernels pass MODEL_ACT_NONE, a constant: with px_out_act's run-time value, s31c9's 14x14
# blocks took 900 instead of 768 us, and the register counts of the wg kernels had moved).
bash bench/gpu_calls/s31c9.sh
