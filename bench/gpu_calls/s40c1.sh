#!/usr/bin/env bash
# Session 40 call 1: checks on the H200 what ran only in CI after s39c6 (gpu_backend_test with
# the shared helpers, cuda_pieces_keep in cuda_plan.c, env_count, enqueue_net calling
# enqueue_pieces for any lead), memcheck of test_copy_pieces, the piece count A/B (the default
# 4 against 8 and 2, graph ms at 64 and 256, two rounds of the default), then the daemon on the
# cuda backend under loadgen and its integration tests (not load-tested since s38c5; the pieces
# now apply to its bucket of 64).
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
timeout 150 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "logits rel err|OK|PASSED|FAILED|piece by piece" "$OUT/net.log" | grep -v "n=[38] image [1-7]" | head -40 | cut -c1-120
BLOCKFUSE_TEST_FILTER=test_copy_pieces timeout 150 compute-sanitizer --tool memcheck --error-exitcode 9 \
  .gpu/bin/gpu_backend_test >"$OUT/mem_pieces.log" 2>&1
echo "memcheck test_copy_pieces rc=$? $(grep -E 'ERROR SUMMARY' "$OUT/mem_pieces.log" | tail -1) $(grep -c 'rel err' "$OUT/mem_pieces.log") images"
date -u +%FT%TZ
for side in D P8 P2 D2; do
  case $side in D*) e=BLOCKFUSE_UNUSED=1 ;; P8) e=BLOCKFUSE_CUDA_PIECES=8 ;; P2) e=BLOCKFUSE_CUDA_PIECES=2 ;; esac
  env "$e" timeout 100 .gpu/bin/gpu_bench $M --batches 64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side rc=$? $(grep -m1 -o 'create [0-9.]* s' "$OUT/ab_$side.txt")"
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  echo "$side pieces: $(grep 'piece by piece' "$OUT/ab_$side.txt" | awk '{print $1 "@" $3}' | tr '\n' ' ')"
done
date -u +%FT%TZ
PHASES=serve,servetest CONCURRENT=0 timeout 200 bench/gpu_bench.sh run >"$OUT/run.log" 2>&1
echo "gpu_bench.sh run rc=$?"
grep -E -i "req/s|requests|p50|p99|fail|passed|== " "$OUT/run.log" | head -40
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
