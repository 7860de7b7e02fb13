#!/usr/bin/env bash
# Session 27 call 8: after the timings' median became one helper (cuda_backend.c): the
# commands of s27c7 (gpu_backend_test, with its checks of cuda_backend_concurrent_time, and
# memcheck of it), then gpu_bench --concurrent 2 at batches 8 and 256 (20 iterations).
bash bench/gpu_calls/s27c7.sh
. bench/gpu_calls/setup.sh >/dev/null
.gpu/bin/gpu_bench $M --batches 8,256 --iters 20 --concurrent 2 >"$OUT/conc.txt" 2>&1
echo "gpu_bench --concurrent 2 rc=$?"
awk '/^ *batch /{p=1} p&&/^$/{exit} p' "$OUT/conc.txt"
awk '/instances at once/{p=1} p&&/^$/{exit} p' "$OUT/conc.txt"
date -u +%FT%TZ
