#!/usr/bin/env bash
# Seventeenth session, call 2: does the one-pass cluster mode (BLOCKFUSE_CUDA_CLUSTER=1, opt-in
# since the third session) win any block at batch 64 / 256 now? Same binary (9b6e233), two
# rounds alternating without / with it; per-block times and the tuner's plans. GPU host, repo
# root, .gpu/ carried.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader; date -u +%FT%TZ
for r in 1 2; do
  for side in A B; do
    c=0; [ $side = B ] && c=1
    BLOCKFUSE_CUDA_CLUSTER=$c .gpu/bin/gpu_bench $M --batches 64,256 --iters 50 >"$OUT/$side$r.txt" 2>"$OUT/$side$r.err"
    echo "== $side$r rc=$? (CLUSTER=$c)"; grep -E "^ +(64|256) " "$OUT/$side$r.txt"
  done
done
for s in A1 B1; do echo "== $s per block at 256 / plans"; awk '/batch 256/{f=1} f' "$OUT/$s.txt" | grep -E "^(stack|stem|head|total)" | head -24; grep -E "cluster" "$OUT/$s.txt" | head; done
tail -3 "$OUT/B1.err"
date -u +%FT%TZ
