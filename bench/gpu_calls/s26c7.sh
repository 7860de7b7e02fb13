#!/usr/bin/env bash
# Session 26 call 7: the final run again, on main b5ca0ec (s26c5's kernels and the depthwise
# form tested once per CTA). The commands are s25c3's, as in s26c5: kernel and network tests,
# memcheck of test_mbconv_se and racecheck of test_mbconv_wg, gpu_bench twice, then the
# daemon's integration tests on the cuda backend, gpu_bench at 1, 8, 64 and 256 (100
# iterations), serving under loadgen and the PyTorch baseline.
exec bash bench/gpu_calls/s25c3.sh
