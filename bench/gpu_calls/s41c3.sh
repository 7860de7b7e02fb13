#!/usr/bin/env bash
# Session 41 call 3: a caller's images copied into the pinned staging by several threads
# (copy_in). `blockfuse bench --backend cuda` at 256 took 10.1 ms a batch in s41c1 (25.4k img/s)
# where the graph takes 2.93: one thread's memcpy of 38.5 MB. Checks: the whole
# gpu_backend_test (test_copy_threads new: 32 and 29 photos copied in slices give the zero-copy
# run's logits bit for bit). Then blockfuse bench at 64, 128 and 256 with --threads 1 (one
# memcpy, as before), 4, 8 (the default) and 16, two rounds of 1 and 8; and a bare host
# memcpy rate for reference. Also: is nsys on this host.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
timeout 250 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1
echo "gpu_backend_test rc=$?"
grep -E "OK|PASSED|FAILED|copied in slices|error" "$OUT/net.log" | head -20 | cut -c1-140
which nsys ncu; nproc; lscpu | grep -E "Model name|Socket|NUMA node\(s\)"
BF=.gpu/runfiles/blockfuse/server/blockfuse
for r in 1 2; do
  for t in 1 4 8 16; do
    [ $r = 2 ] && [ $t = 4 -o $t = 16 ] && continue
    for b in 64 128 256; do
      timeout 100 $BF bench --model $M --backend cuda --batch $b --iters 30 --no-per-block --threads $t >"$OUT/b_${r}_${t}_$b.txt" 2>&1
      echo "round $r threads $t batch $b rc=$? $(grep -E '^throughput' "$OUT/b_${r}_${t}_$b.txt") $(grep -o 'mean [0-9.]*  p50 [0-9.]*' "$OUT/b_${r}_${t}_$b.txt")"
    done
  done
done
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
