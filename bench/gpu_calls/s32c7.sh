#!/usr/bin/env bash
# Session 32 call 7: the CONV pixel-tile launches' integer divisions (s32c6: the stem's output loop,
# an item per element with its row by a division, 56 % of its instructions; the downsample's
# gather a third): the stem's LayerNorm output by 8-channel items and 16-byte stores, small_div
# for the gathers' and tap statistics' divisions, gamma and beta by 16-byte loads. Every kernel
# test, memcheck and racecheck of test_px_conv and test_convnext, then ConvNeXt-T and
# ConvFirst-small at 1 and 256: this build (W) against s32c3's (B, main cc05db7), two rounds
# alternating. (No EfficientNet model in this carry: the next call runs the network tests.)
. bench/gpu_calls/setup.sh
SAN_TIMEOUT=200 SAN_TESTS="test_px_conv test_convnext" . bench/gpu_calls/px_ab.sh
