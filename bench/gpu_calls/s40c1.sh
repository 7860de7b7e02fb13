#!/usr/bin/env bash
# Session 40 call 1: checks on the H200 what ran only in CI after s39c6 (gpu_backend_test with
# the shared helpers, cuda_pieces_keep in cuda_plan.c, env_count, enqueue_net calling
# enqueue_pieces for any lead), memcheck of test_copy_pieces, the piece count A/B (the default
# 4 against 8 and 2, graph ms at 64 and 256, two rounds of the default), then the daemon on the
# cuda backend under loadgen and its integration tests (not load-tested since s38c5; the pieces
# now apply to its bucket of 64).
# Its A/B loop and memcheck ran inline; they are now ab_side.sh's, with the same commands.
# Its serving block ran inline too; it is now setup.sh's serve_run, with the same command.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/gpu_calls/ab_side.sh
timeout 150 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "logits rel err|OK|PASSED|FAILED|piece by piece" "$OUT/net.log" | grep -v "n=[38] image [1-7]" | head -40 | cut -c1-120
mem_pieces 150
date -u +%FT%TZ
ab_side D 64,256
ab_side P8 64,256 BLOCKFUSE_CUDA_PIECES=8
ab_side P2 64,256 BLOCKFUSE_CUDA_PIECES=2
ab_side D2 64,256
date -u +%FT%TZ
serve_run 200
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
