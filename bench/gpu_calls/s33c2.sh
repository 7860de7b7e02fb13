#!/usr/bin/env bash
# Session 33 call 2: px_dw_mma again: its staging items per thread worked out once, the next
# slice's loads in flight during this slice's MMAs, two buffers of planes, the mma.sync kernels
# only (s33c1: beside the warpgroup kernels' wgmma its mma.sync made ptxas serialize them, C7520,
# and the 14x14 blocks went 740 -> 897 us with or without dwm). The body: dwm_ab.sh.
. bench/gpu_calls/dwm_ab.sh
