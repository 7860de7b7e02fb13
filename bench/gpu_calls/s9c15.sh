#!/usr/bin/env bash
# Session 9 call 15: D = cf24898 (the stem's pixel cursor), E = D + the stem's interior windows
# without a test per tap, and the normalisation as one FMA (byte * is + nm). Tests,
# memcheck and racecheck of the stem tests first; then graph ms D E, two rounds.
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
[ $ok = 1 ] || { grep -B2 -A8 -E "FAIL|Error|error" "$OUT/gpu_kernels_test.log" | head -40; exit 1; }
BLOCKFUSE_TEST_FILTER="test_stem" timeout 240 compute-sanitizer --tool memcheck --error-exitcode 99 \
  .gpu/bin/gpu_kernels_test >/tmp/san_m.log 2>&1; echo "memcheck rc=$? $(grep -E 'ERROR SUMMARY' /tmp/san_m.log | tail -1)"
BLOCKFUSE_TEST_FILTER="test_stem" timeout 240 compute-sanitizer --tool racecheck --error-exitcode 99 \
  .gpu/bin/gpu_kernels_test >/tmp/san_r.log 2>&1; echo "racecheck rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/san_r.log | tail -1)"
date -u +%FT%TZ
for r in 1 2; do
  for side in D E; do
    bin=.gpu/bin/gpu_bench_$side
    [ $side != D ] && bin=.gpu/bin/gpu_bench; e=""
    env $e $bin $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_${side}$r.txt" 2>&1
    echo "$side$r: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_${side}$r.txt")"
  done
done
for side in D E; do
  awk '/per-block roofline, batch 256/{p=1} p' "$OUT/ab_${side}1.txt" | head -22 | awk '{printf "%s ", $5} END {print ""}'
done
true
date -u +%FT%TZ
