#!/usr/bin/env bash
# Session 33 call 5: the downsample's im2col chunks loaded a chunk ahead (px_gather_load /
# px_gather_store, two chunk buffers; branch downsample-prefetch): each chunk's gather had been a
# round trip before its MMAs. This build (W) against main's (B). (The EfficientNet model is left
# out of this call's carry for the second binary; its kernels are not changed.) The body:
# down_ab.sh.
. bench/gpu_calls/down_ab.sh
