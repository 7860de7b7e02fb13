#!/usr/bin/env bash
# Session 18 call 14: the review's refactor (506108f: pg_mma_b and pg_gate_af shared by both
# slice forms; PTX the same but for four virtual registers' names) on the GPU: kernel and
# network tests, memcheck of test_mbconv_se, and gpu_bench at batches 1-256 once.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; date -u +%FT%TZ
for t in gpu_kernels_test gpu_backend_test; do
  timeout 300 .gpu/bin/$t >"$OUT/$t.log" 2>&1; echo "$t rc=$?"
  grep -E "PASSED|FAILED|top-1" "$OUT/$t.log" | head -4
done
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
BLOCKFUSE_TEST_FILTER="test_mbconv_se" timeout 300 compute-sanitizer --tool memcheck --error-exitcode 99 \
  .gpu/bin/gpu_kernels_test >/tmp/m.log 2>&1
echo "memcheck rc=$? $(grep -E 'ERROR SUMMARY' /tmp/m.log | tail -1) $(grep -c 'rel err' /tmp/m.log) checks"
.gpu/bin/gpu_bench $M --batches 1,8,64,256 --iters 50 >"$OUT/bench.txt" 2>&1
awk '/^ *batch /{p=1} p&&/^$/{exit} p' "$OUT/bench.txt"
date -u +%FT%TZ
