#!/usr/bin/env bash
# Session 41 call 5: `blockfuse bench --backend cuda` as README tells a user to run it, after
# its two changes: the copy of the caller's images by several threads (s41c3) and the
# per-block table from one profiled run after the timed ones (every run had been profiled,
# with the profiled graph's one copy and events). Batches 1, 64 and 256: the default (table
# on), --no-per-block, and --threads 1 --no-per-block (one memcpy, the old copy) as the
# baseline in the same call; two rounds; the table and the plans at 256 once.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
BF=.gpu/runfiles/blockfuse/server/blockfuse
for r in 1 2; do
  for b in 1 64 256; do
    for v in "default:" "noblock:--no-per-block" "t1:--threads 1 --no-per-block"; do
      name=${v%%:*} args=${v#*:}
      timeout 100 $BF bench --model $M --backend cuda --batch $b --iters 50 $args >"$OUT/cli_${r}_${name}_$b.txt" 2>&1
      echo "round $r batch $b $name rc=$? $(grep -E '^throughput' "$OUT/cli_${r}_${name}_$b.txt") $(grep -o 'mean [0-9.]*  p50 [0-9.]*  p90 [0-9.]*' "$OUT/cli_${r}_${name}_$b.txt")"
    done
  done
done
grep -E -A21 "^block " "$OUT/cli_1_default_256.txt"
timeout 100 $BF bench --model $M --backend cuda --batch 256 --iters 20 --no-per-block --plans >"$OUT/plans.txt" 2>&1
echo "plans rc=$?"; grep -c "piece by piece" "$OUT/plans.txt"
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
