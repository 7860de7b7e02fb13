#!/usr/bin/env bash
# Session 33 call 3: as s33c2 with each warp's bands (28 words) loaded before its slice's stores
# and barrier (s33c2 loaded them a kernel row at a time: an L2 round trip each); 28 to 196 bytes
# of spills in this build. The body: dwm_ab.sh.
. bench/gpu_calls/dwm_ab.sh
