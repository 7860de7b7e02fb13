#!/usr/bin/env bash
# Session 28 call 6: the final run on main (2dec319's kernels; the tuner timed on the device
# alone, the profiled runs on their own graph): kernel and network tests, then
# `bench/gpu_bench.sh run` (PHASES=servetest,bench,serve,torch ITERS=100 CONCURRENT=0: no
# instances at once this time, the device time being short).
# The commands: bench/gpu_calls/final_run.sh.
. bench/gpu_calls/final_run.sh
