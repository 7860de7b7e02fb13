#!/usr/bin/env bash
# Session 23 call 3: the expand GEMM's tiles starting from an m16n8k8 bias MMA (instead of the
# bias moved into every first MMA's C operand) and storing by stmatrix where all 16 rows are
# pixels.
# 1. SASS check (HMMA.1688 and STSM in the PASS1 build); the kernel tests, memcheck of every
#    MBConv kernel test, racecheck of test_mbconv_plain and test_mbconv_se; the network;
# 2. gpu_bench sides W (this build) and B (7d53d50: .gpu/bin/gpu_bench_base), two rounds,
#    tuner log; per block; the tuner's PASS1 times at 256.
bench/gpu_bench.sh unpack || exit 1
xz -d -f .gpu/bin/gpu_bench_base.xz 2>/dev/null
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader; date -u +%FT%TZ
cuobjdump -sass -fun '_ZN2bf13mbconv_kernelILi1ELi3ELi256ELb1ELb1EEEv16cuda_mbconv_args' \
  .gpu/bin/gpu_bench >/tmp/p1.sass 2>&1
echo "PASS1 VEC build: $(grep -c 'HMMA.1688' /tmp/p1.sass) HMMA.1688, $(grep -c 'HMMA.16816' /tmp/p1.sass) HMMA.16816, $(grep -c STSM /tmp/p1.sass) STSM, $(grep -cE 'HMMA.1688.F32 R[0-9]+, R[0-9]+, R[0-9]+, RZ' /tmp/p1.sass) with RZ"
timeout 300 .gpu/bin/gpu_kernels_test >"$OUT/gpu_kernels_test.log" 2>&1
r=$?
echo "gpu_kernels_test rc=$r $(grep -c 'rel err' "$OUT/gpu_kernels_test.log") checks, max $(grep 'rel err' "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1)"
grep -E "PASSED|FAILED" "$OUT/gpu_kernels_test.log" | head -3
[ $r = 0 ] || { grep -B3 -A10 -E "FAIL|rror" "$OUT/gpu_kernels_test.log" | head -60; exit 1; }
timeout 120 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "logits rel err" "$OUT/net.log" | head -6
BLOCKFUSE_TEST_FILTER="test_mbconv_*" timeout 240 compute-sanitizer --tool memcheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_m.log 2>&1
echo "memcheck rc=$? $(grep -E 'ERROR SUMMARY' /tmp/san_m.log | tail -1), $(grep -c 'rel err' /tmp/san_m.log) checks"
for f in test_mbconv_plain test_mbconv_se; do
  BLOCKFUSE_TEST_FILTER="$f" timeout 200 compute-sanitizer --tool racecheck \
    --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_r.log 2>&1
  echo "racecheck $f rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/san_r.log | tail -1), $(grep -c 'rel err' /tmp/san_r.log) checks"
  grep -E "Error|Race|Hazard" /tmp/san_r.log | head -5
done
date -u +%FT%TZ
for r in 1 2; do
  for side in W B; do
    bin=.gpu/bin/gpu_bench
    [ $side = B ] && bin=.gpu/bin/gpu_bench_base
    BLOCKFUSE_CUDA_TUNE_LOG=1 $bin $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side$r.txt" 2>&1
    echo "$side$r graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side$r.txt")"
    echo "$side$r kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side$r.txt")"
  done
done
for side in W B; do
  echo "$side per-block 256: $(awk '/per-block roofline, batch 256/{p=1} p' "$OUT/ab_${side}1.txt" | head -22 | awk '{printf "%s ", $5}')"
  echo "$side per-block 64: $(awk '/per-block roofline, batch 64/{p=1} p' "$OUT/ab_${side}1.txt" | head -22 | awk '{printf "%s ", $5}')"
  echo "$side PASS1 ranked 256: $(grep 'batch 256: pass1' "$OUT/ab_${side}1.txt" | grep ranked | awk '{printf "%s:%s ", $2, $(NF-2)}')"
done
rm -f "$OUT"/ab_*2.txt
date -u +%FT%TZ
