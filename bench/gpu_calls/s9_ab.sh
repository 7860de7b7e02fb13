#!/usr/bin/env bash
# The ninth session's A/B calls (s9c3-s9c7, s9c10, s9c13, s9c15, s9c16 name their builds and
# filters and run this): on the GPU host, repo root, .gpu/ carried.
#   1. gpu_kernels_test and gpu_backend_test (each limited to $TTIMEOUT s, 500 by default); a
#      failure stops the call;
#   2. compute-sanitizer memcheck of the kernel tests matching $MEMCHECK and racecheck of those
#      matching $RACECHECK (BLOCKFUSE_TEST_FILTER patterns), limited to $MTIMEOUT / $RTIMEOUT s;
#      the count of tests passed and checks made under each, and both logs in $OUT;
#   3. gpu_bench --batches 1,8,64,256 --iters 50 of each side in $SIDES, two rounds alternating
#      (graph ms per batch), then each side's per-block µs at batch 256 (round 1);
#   4. the lines of side $PLANS_FROM's plans (round 1) matching the extended regex $PLANS.
# SIDES: NAME=BINARY or NAME=BINARY:VAR=VALUE (an environment setting for that side), e.g.
#   SIDES="D=.gpu/bin/gpu_bench_D E=.gpu/bin/gpu_bench En=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_X=0"
# Logs: $OUT/<test>.log, $OUT/ab_<NAME><round>.txt.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader; date -u +%FT%TZ
ok=1
for t in gpu_kernels_test gpu_backend_test; do
  timeout "${TTIMEOUT:-500}" .gpu/bin/$t >"$OUT/$t.log" 2>&1 || { r=$?; ok=0; echo "FAIL $t rc=$r"; }
  grep -E "PASSED|FAILED|top-1" "$OUT/$t.log" | head -8
done
[ $ok = 1 ] || { grep -B2 -A8 -E "FAIL|Error|error" "$OUT/gpu_kernels_test.log" | head -40; exit 1; }
BLOCKFUSE_TEST_FILTER="$MEMCHECK" timeout "${MTIMEOUT:-240}" compute-sanitizer --tool memcheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_m.log 2>&1
echo "memcheck rc=$? $(grep -E 'ERROR SUMMARY' /tmp/san_m.log | tail -1)"
BLOCKFUSE_TEST_FILTER="$RACECHECK" timeout "${RTIMEOUT:-240}" compute-sanitizer --tool racecheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_r.log 2>&1
echo "racecheck rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/san_r.log | tail -1)"
for l in /tmp/san_m.log /tmp/san_r.log; do # what ran under each: tests passed, checks made
  echo "$l: $(grep -c '^\[       OK \]' "$l") tests passed, $(grep -c 'rel err' "$l") checks"
  cp "$l" "$OUT/"
done
date -u +%FT%TZ
for r in 1 2; do
  for side in $SIDES; do
    name=${side%%=*} spec=${side#*=}
    bin=${spec%%:*} e=""
    [ "$spec" != "$bin" ] && e=${spec#*:}
    # shellcheck disable=SC2086 # e is one NAME=VALUE word or empty
    env $e "$bin" $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_${name}$r.txt" 2>&1
    echo "$name$r: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_${name}$r.txt")"
  done
done
for side in $SIDES; do
  awk '/per-block roofline, batch 256/{p=1} p' "$OUT/ab_${side%%=*}1.txt" | head -22 |
    awk '{printf "%s ", $5} END {print ""}'
done
[ -n "${PLANS:-}" ] && grep -oE "$PLANS" "$OUT/ab_${PLANS_FROM}1.txt"
date -u +%FT%TZ
