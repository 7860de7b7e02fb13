#!/usr/bin/env bash
# Session 32 call 3: GELU by tanh.approx.f32 (6 instructions a value where the exp-and-divide
# sigmoid took 17), the expand bias as float2 loads, the depthwise pairs' unpredicated loads where
# all their columns are inside the image. Every kernel test, memcheck and racecheck of the ConvNeXt
# and ConvFirst tests, then ConvNeXt-T and ConvFirst-small at 1 and 256: this build (W) against
# s32c1's (B, .gpu/bin/gpu_bench_base: main's kernels), two rounds alternating. (The EfficientNet
# model is left out of this call's carry: the network test runs in the next.)
. bench/gpu_calls/setup.sh
SAN_TIMEOUT=200 SAN_TESTS="test_convnext test_convfirst" . bench/gpu_calls/px_ab.sh
