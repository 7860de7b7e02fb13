#!/usr/bin/env bash
# Session 29 call 6: would a batch split into halves on two streams pay? gpu_bench at 64, 128
# and 256 alone and with --concurrent 2 (two instances replaying their graphs at once, each on
# its stream): the kernels' time per batch, two halves of 256 at once against one batch of 256.
. bench/gpu_calls/setup.sh
timeout 300 .gpu/bin/gpu_bench $M --batches 64,128,256 --iters 30 --concurrent 2 >"$OUT/conc.txt" 2>&1
echo "rc=$?"
grep -vE "^(tune|stem|stack|head|block|total|per-block|plans)" "$OUT/conc.txt" | grep -v "^$" | head -30
date -u +%FT%TZ
