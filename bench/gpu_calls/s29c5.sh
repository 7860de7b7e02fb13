#!/usr/bin/env bash
# Session 29 call 5: the final run on main (2dec319's kernels; the profiled graphs captured at
# create() where profile_every > 0, pexec-create): kernel and network tests, then
# `bench/gpu_bench.sh run` (PHASES=servetest,bench,serve,torch ITERS=100 CONCURRENT=0: no
# instances at once this time, the device time being short).
# The commands: bench/gpu_calls/final_run.sh.
. bench/gpu_calls/final_run.sh
