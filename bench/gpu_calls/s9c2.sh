#!/usr/bin/env bash
# Session 9 call 2: the streaming pixel GEMM. Kernel and network tests, memcheck and
# racecheck of the SE tests (where the streaming cases are), then A/B of graph ms:
# base (5fe8bd9) / new / new with BLOCKFUSE_CUDA_STREAM=0, two rounds; the plans at 256.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader; date -u +%FT%TZ
ok=1
for t in gpu_kernels_test gpu_backend_test; do
  .gpu/bin/$t >"$OUT/$t.log" 2>&1 || { ok=0; echo "FAIL $t"; }
  grep -E "PASSED|FAILED|top-1" "$OUT/$t.log" | head -8
done
grep -E "stream=[1-9]" "$OUT/gpu_kernels_test.log" | awk '{print $1, $2, $NF}' | sort -k3 -g | tail -3
[ $ok = 1 ] || { grep -B2 -A8 -E "FAIL|Error|error" "$OUT/gpu_kernels_test.log" | head -40; exit 1; }
for tool in memcheck racecheck; do
  BLOCKFUSE_TEST_FILTER="test_mbconv_se" timeout 300 compute-sanitizer --tool $tool --error-exitcode 99 \
    .gpu/bin/gpu_kernels_test >"$OUT/san_$tool.log" 2>&1; echo "$tool rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/san_$tool.log" | tail -1)"
done
date -u +%FT%TZ
for r in 1 2; do
  for side in base new nostream; do
    bin=.gpu/bin/gpu_bench env=""
    [ $side = base ] && bin=.gpu/bin/gpu_bench_base
    [ $side = nostream ] && env="BLOCKFUSE_CUDA_STREAM=0"
    env $env $bin $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_${side}$r.txt" 2>&1
    echo "$side$r: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_${side}$r.txt")"
  done
done
grep "bucket 256" "$OUT/ab_new1.txt" | grep -o "^[a-z0-9.]* .*staged gemm[^]]*" | sed 's/bucket 256.*\[staged/[staged/'
awk '/per-block roofline, batch 256/{p=1} p' "$OUT/ab_base1.txt" | head -22 > "$OUT/pb_base.txt"
awk '/per-block roofline, batch 256/{p=1} p' "$OUT/ab_new1.txt" | head -22 > "$OUT/pb_new.txt"
paste "$OUT/pb_base.txt" "$OUT/pb_new.txt" | awk -F'\t' '{split($1,a," "); split($2,b," "); if (a[5]+0>0) printf "%-14s %8s -> %8s\n", a[1], a[5], b[5]}'
date -u +%FT%TZ
