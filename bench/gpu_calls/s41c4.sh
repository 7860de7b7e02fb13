#!/usr/bin/env bash
# Session 41 call 4: the whole gpu_backend_test with test_copy_threads' fix (s41c3 failed it on
# bit-for-bit logits: the SE and head sums' float atomics add in any order; it now allows 1e-4
# per image and checks that the 64x64 patches tell the images apart); gpu_bench's graphs
# replayed by 2, 3 and 4 instances at once at 64 and 256 (the daemon runs 2 executors per GPU);
# `blockfuse bench --backend cuda` at 64 and 256 as a user runs it (the copy-in threads'
# default against --threads 1, with the per-block table and the plans at 256); then the daemon
# on the cuda backend under loadgen and its integration tests (the backend now links cpu_pool).
# Its serving block ran inline; it is now setup.sh's serve_run, with the same command.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
timeout 200 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1
echo "gpu_backend_test rc=$?"
grep -E "OK|PASSED|FAILED|copied in slices|error" "$OUT/net.log" | head -20 | cut -c1-160
for c in 2 3 4; do
  timeout 150 .gpu/bin/gpu_bench "$M" --batches 64,256 --iters 50 --concurrent $c >"$OUT/c$c.log" 2>&1
  echo "concurrent $c rc=$?"
  awk '/instances at once/{p=1} p&&/^$/{exit} p' "$OUT/c$c.log"
done
date -u +%FT%TZ
BF=.gpu/runfiles/blockfuse/server/blockfuse
for b in 64 256; do
  for t in 1 0; do
    extra=--no-per-block
    [ $b = 256 ] && [ $t = 0 ] && extra=--plans
    timeout 100 $BF bench --model $M --backend cuda --batch $b --iters 50 --threads $t $extra >"$OUT/cli_${t}_$b.txt" 2>&1
    echo "bench batch $b --threads $t rc=$? $(grep -E '^throughput' "$OUT/cli_${t}_$b.txt") $(grep -o 'mean [0-9.]*  p50 [0-9.]*  p90 [0-9.]*' "$OUT/cli_${t}_$b.txt")"
  done
done
grep -E -A24 "^ *block" "$OUT/cli_0_256.txt" | head -26
date -u +%FT%TZ
serve_run 220
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
