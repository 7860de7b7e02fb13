#!/usr/bin/env bash
# Session 25 call 6 (branch expand-tail): PASS1's paired expand GEMM ends with single column
# tiles where its last round of row tiles fills at most half the warps of a pair (builds of
# 80 registers or more). Kernel tests and network; memcheck of test_mbconv_se, racecheck of
# test_mbconv_chunks and test_mbconv_strips; W (this build) against B (main, 670d990), two
# rounds; the 7x14-tile blocks' per-block times at each batch.
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
BLOCKFUSE_TEST_FILTER="test_mbconv_se" timeout 200 compute-sanitizer --tool memcheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_m.log 2>&1
echo "memcheck test_mbconv_se rc=$? $(grep -E 'ERROR SUMMARY' /tmp/san_m.log | tail -1), $(grep -c 'rel err' /tmp/san_m.log) checks"
BLOCKFUSE_TEST_FILTER="test_mbconv_*s" timeout 200 compute-sanitizer --tool racecheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_r.log 2>&1
echo "racecheck test_mbconv_chunks, _strips rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/san_r.log | tail -1), $(grep -c 'rel err' /tmp/san_r.log) checks"
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
  for blk in stack1.block0 stack2.block0 stack3.block0; do
    echo "$side $blk us at 1/8/64/256: $(awk -v b=$blk '$1 == b && $2 == "mbconv" {printf "%s ", $5}' "$OUT/ab_$side.txt")"
  done
done
date -u +%FT%TZ
