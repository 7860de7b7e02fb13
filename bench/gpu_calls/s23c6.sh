#!/usr/bin/env bash
# Session 23 call 6: s23c5's narrow pass-2 GEMM with two tiles a round at K = 32 (the next
# two tiles' loads in flight while these compute).
# 1. test_mbconv_narrow, memcheck and racecheck of it; the kernel tests; the network;
# 2. gpu_bench sides W (this build) and N (the same, BLOCKFUSE_CUDA_NARROW=0), two rounds,
#    tuner log; tune_table at 256 and 64; per block.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader; date -u +%FT%TZ
BLOCKFUSE_TEST_FILTER="test_mbconv_narrow" timeout 100 .gpu/bin/gpu_kernels_test >"$OUT/knarrow.log" 2>&1
r=$?
echo "test_mbconv_narrow rc=$r: $(grep -c 'rel err' "$OUT/knarrow.log") checks, max $(grep 'rel err' "$OUT/knarrow.log" | awk '{print $NF}' | sort -g | tail -1)"
[ $r = 0 ] || { grep -B3 -A10 -E "FAIL|rror" "$OUT/knarrow.log" | head -60; exit 1; }
for tool in memcheck racecheck; do
  BLOCKFUSE_TEST_FILTER="test_mbconv_narrow" timeout 200 compute-sanitizer --tool $tool \
    --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_$tool.log 2>&1
  echo "$tool rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' /tmp/san_$tool.log | tail -1), $(grep -c 'rel err' /tmp/san_$tool.log) checks"
  grep -E "Error|Race|Hazard" /tmp/san_$tool.log | head -5
done
timeout 300 .gpu/bin/gpu_kernels_test >"$OUT/gpu_kernels_test.log" 2>&1
echo "gpu_kernels_test rc=$? $(grep -c 'rel err' "$OUT/gpu_kernels_test.log") checks, max $(grep 'rel err' "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/gpu_kernels_test.log" | head -3
timeout 120 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "logits rel err" "$OUT/net.log" | head -6
date -u +%FT%TZ
for r in 1 2; do
  for side in W N; do
    e=""
    [ $side = N ] && e="BLOCKFUSE_CUDA_NARROW=0"
    env $e BLOCKFUSE_CUDA_TUNE_LOG=1 .gpu/bin/gpu_bench $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side$r.txt" 2>&1
    echo "$side$r graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side$r.txt")"
    echo "$side$r kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side$r.txt")"
  done
done
for side in W N; do
  echo "$side per-block 256: $(awk '/per-block roofline, batch 256/{p=1} p' "$OUT/ab_${side}1.txt" | head -22 | awk '{printf "%s ", $5}')"
  echo "$side per-block 64: $(awk '/per-block roofline, batch 64/{p=1} p' "$OUT/ab_${side}1.txt" | head -22 | awk '{printf "%s ", $5}')"
done
for b in 256 64 8 1; do echo "== W $b"; python3 bench/tune_table.py "$OUT/ab_W1.txt" $b 2>/dev/null | head -4 | cut -c1-16,100-; done
grep "narrow" "$OUT/ab_W1.txt" | head -30
rm -f "$OUT"/ab_*2.txt
date -u +%FT%TZ
