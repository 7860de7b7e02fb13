#!/usr/bin/env bash
# Session 30 call 9: depthwise items of two pixels that share their taps' weight loads
# (px_dw_items<K, 2>), against s30c8's build (1.510 / 30.256 ms for convnext_tiny at 1 / 256):
# all kernel and network tests, memcheck and racecheck of the ConvNeXt and ConvFirst tests,
# convnext_tiny in gpu_bench at batches 1 and 256.
bash bench/gpu_calls/s30c8.sh
