#!/usr/bin/env bash
# Session 40 call 3 (main 21e0207, two lanes merged): the piece count again now that the pieces'
# blocks may run on two lanes (s40c1 on one lane: 8 pieces -0.6 % at 256, +5 % at 64; 2 pieces
# -1.2 % at 64, +3 % at 256). Graph ms at 64, 128 and 256: the default (4 pieces, the planner's
# lanes and depth), 8 pieces, 2 pieces, the default again.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
for side in D P8 P2 D2; do
  case $side in D*) e=BLOCKFUSE_UNUSED=1 ;; P8) e=BLOCKFUSE_CUDA_PIECES=8 ;; P2) e=BLOCKFUSE_CUDA_PIECES=2 ;; esac
  env "$e" timeout 100 .gpu/bin/gpu_bench $M --batches 64,128,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side rc=$? $(grep -m1 -o 'create [0-9.]* s' "$OUT/ab_$side.txt")"
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  echo "$side pieces: $(grep 'piece by piece' "$OUT/ab_$side.txt" | awk '{print $1 "@" $3}' | tr '\n' ' ')"
  echo "$side lanes: $(grep -o 'bucket [0-9]* *\[piece by piece under the copy, [0-9] pieces, [a-z]* lanes*' "$OUT/ab_$side.txt" | sed 's/\[piece by piece under the copy, //' | sort | uniq -c | tr '\n' ' ')"
done
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
