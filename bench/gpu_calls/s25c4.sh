#!/usr/bin/env bash
# Session 25, call 4 (branch fc-prefetch): the head FC (gemm_kernel) with its next K chunk's
# loads in flight during this chunk's MMAs (two shared-memory buffers). Kernel tests and network;
# memcheck and racecheck of test_head; W (this build) against B (main, 8079d55), two rounds;
# the head's per-block time at each batch.
bench/gpu_bench.sh unpack || exit 1
# the model travelled packed too (this call's .gpu/ was at the carry limit)
f=.gpu/runfiles/blockfuse/models/efficientnet_b0/model.safetensors.xz
[ -e "$f" ] && { xz -d -f "$f" || exit 1; }
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader; date -u +%FT%TZ
timeout 120 .gpu/bin/gpu_kernels_test >"$OUT/k.log" 2>&1
echo "gpu_kernels_test rc=$? $(grep -c 'rel err' "$OUT/k.log") checks, max $(grep 'rel err' "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/k.log" | head -3
timeout 60 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -20 "$OUT/net.log"; exit 1; }
grep -E "logits rel err" "$OUT/net.log"
grep -q "FAILED" "$OUT/k.log" && { grep -B3 -A10 -E "FAIL|rror" "$OUT/k.log" | head -40; exit 1; }
for tool in memcheck racecheck; do
  BLOCKFUSE_TEST_FILTER="test_head" timeout 150 compute-sanitizer --tool $tool \
    --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_$tool.log 2>&1
  echo "$tool test_head rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' /tmp/san_$tool.log | tail -1), $(grep -c 'rel err' /tmp/san_$tool.log) checks"
done
date -u +%FT%TZ
for r in "" 2; do for side in W$r B$r; do
  bin=.gpu/bin/gpu_bench
  case $side in B*) bin=.gpu/bin/gpu_bench_base ;; esac
  BLOCKFUSE_CUDA_TUNE_LOG=1 $bin $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  echo "$side 256: $(awk '$0 ~ "per-block roofline, batch 256 " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side.txt")"
done; done
for side in W B W2 B2; do
  echo "$side head us at 1/8/64/256: $(awk '/^head  *head/{printf "%s ", $5}' "$OUT/ab_$side.txt")"
done
date -u +%FT%TZ
