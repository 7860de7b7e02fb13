#!/usr/bin/env bash
# Session 41 call 6: run_fill, the batch's copy in under its computation: the graph launched
# first, each piece's image copy waiting (cuStreamWaitValue32 on a pinned flag) for the host
# to fill that piece. run() (a caller's images, `blockfuse bench`) and the daemon's executors
# (their requests' images) fill through it. Checks: the whole gpu_backend_test (test_run_fill
# new: fills in order as the pieces cut the batch, a failed fill returns its error and the next
# run is right; test_copy_threads: copied runs against zero-copy ones), test_run_fill and
# test_copy_threads with BLOCKFUSE_CUDA_OVERLAP=0 (no waits). Then, same binaries, with the
# waits and without: gpu_bench's graph ms at 64 and 256 (what the wait nodes cost), `blockfuse
# bench` at 64 and 256 (--no-per-block; also --threads 1), and the daemon under loadgen.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/gpu_calls/ab_side.sh
timeout 150 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1
echo "gpu_backend_test rc=$?"
grep -E "OK|PASSED|FAILED|copied in slices|fills|failed fill|error" "$OUT/net.log" | head -24 | cut -c1-160
BLOCKFUSE_CUDA_OVERLAP=0 BLOCKFUSE_TEST_FILTER=test_run_fill timeout 60 .gpu/bin/gpu_backend_test 2>&1 | grep -E "OK|FAILED|fills|error" | head
BLOCKFUSE_CUDA_OVERLAP=0 BLOCKFUSE_TEST_FILTER=test_copy_threads timeout 60 .gpu/bin/gpu_backend_test 2>&1 | grep -E "OK|FAILED|slices" | head
date -u +%FT%TZ
ab_side W 64,256
ab_side N 64,256 BLOCKFUSE_CUDA_OVERLAP=0
BF=.gpu/runfiles/blockfuse/server/blockfuse
for b in 64 256; do
  for v in "W::" "N:BLOCKFUSE_CUDA_OVERLAP=0:" "W1::--threads 1" "N1:BLOCKFUSE_CUDA_OVERLAP=0:--threads 1"; do
    IFS=: read -r name envs args <<<"$v"
    env BLOCKFUSE_UNUSED=1 $envs timeout 100 $BF bench --model $M --backend cuda --batch $b --iters 50 --no-per-block $args >"$OUT/cli_${name}_$b.txt" 2>&1
    echo "bench batch $b $name rc=$? $(grep -E '^throughput' "$OUT/cli_${name}_$b.txt") $(grep -o 'mean [0-9.]*  p50 [0-9.]*  p90 [0-9.]*' "$OUT/cli_${name}_$b.txt")"
  done
done
date -u +%FT%TZ
serve_run 200
mv "$OUT/run.log" "$OUT/run_W.log"
BLOCKFUSE_CUDA_OVERLAP=0 PHASES=serve CONCURRENT=0 timeout 150 bench/gpu_bench.sh run >"$OUT/run_N.log" 2>&1
echo "overlap off: gpu_bench.sh run rc=$?"
grep -E -i "req/s|p50|fail|== " "$OUT/run_N.log" | head -20
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
