#!/usr/bin/env bash
# Session 41 call 7: `blockfuse bench --backend cuda` with its new line, the device's own time a
# batch (model_backend_ops.device_time: the graph replayed with its copies and without) and the
# host's share of a run, at 1, 64 and 256; the cpu backend prints no such line.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
BF=.gpu/runfiles/blockfuse/server/blockfuse
for b in 1 64 256; do
  timeout 100 $BF bench --model $M --backend cuda --batch $b --iters 50 >"$OUT/cli_$b.txt" 2>&1
  echo "batch $b rc=$? $(grep -E '^throughput' "$OUT/cli_$b.txt") $(grep -o 'mean [0-9.]*  p50 [0-9.]*' "$OUT/cli_$b.txt")"
  grep -A1 "device ms" "$OUT/cli_$b.txt"
  grep -E "^total" "$OUT/cli_$b.txt"
done
timeout 60 $BF bench --model $M --backend cpu --batch 1 --iters 2 --warmup 0 --no-per-block 2>&1 | grep -c "device ms"
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
