#!/usr/bin/env bash
# Session 32 call 4: the column-split warpgroup-MMA kernel (px_wgn_kernel) in clusters of two
# (cuda_px_args.cl = 2): each weight stage's boxes half from each CTA's producer, multicast to both,
# the empty barriers taking an arrival of each consumer warp of both CTAs. Every kernel test (the
# cluster form forced on the ConvNeXt and ConvFirst cases), memcheck and racecheck of
# test_convnext and test_convfirst, then ConvNeXt-T and ConvFirst-small at 1 and 256: this build
# (W) against s32c3's (B, .gpu/bin/gpu_bench_base, main cc05db7), two rounds alternating. (The
# EfficientNet model is left out of the carry: the network test runs in the next call.)
. bench/gpu_calls/setup.sh
PLANS="stage[23].block0 *bucket 256" SAN_TIMEOUT=240 SAN_TESTS="test_convnext test_convfirst" . bench/gpu_calls/px_ab.sh
