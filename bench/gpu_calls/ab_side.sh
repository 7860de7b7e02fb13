#!/usr/bin/env bash
# Sourced by the calls on the graph's host-side choices (s39c4-s39c6, s40c1-s40c5): defines
#   ab_side SIDE BATCHES [VAR=VALUE ...]
# which runs gpu_bench on the model ($M) at BATCHES with the variables set, 50 iterations, into
# $OUT/ab_SIDE.txt, and prints its create() time, graph and kernels ms per batch, the blocks run
# piece by piece under the image copy, and the pieces and lanes of each bucket's plans; and
#   mem_pieces TIMEOUT
# which runs compute-sanitizer memcheck of gpu_backend_test's test_copy_pieces into
# $OUT/mem_pieces.log and prints its summary and how many images it checked.
ab_side() {
  local side=$1 batches=$2 f="$OUT/ab_$1.txt"
  shift 2
  env BLOCKFUSE_UNUSED=1 "$@" timeout 100 .gpu/bin/gpu_bench "$M" --batches "$batches" --iters 50 >"$f" 2>&1
  echo "$side rc=$? $(grep -m1 -o 'create [0-9.]* s' "$f")"
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$f")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$f")"
  echo "$side pieces: $(grep 'piece by piece' "$f" | awk '{print $1 "@" $3}' | tr '\n' ' ')"
  echo "$side lanes: $(grep -o 'bucket [0-9]* *\[piece by piece under the copy, [0-9] pieces, [a-z]* lanes*' "$f" |
    sed 's/\[piece by piece under the copy, //' | sort | uniq -c | tr '\n' ' ')"
}

mem_pieces() {
  BLOCKFUSE_TEST_FILTER=test_copy_pieces timeout "$1" compute-sanitizer --tool memcheck \
    --error-exitcode 9 .gpu/bin/gpu_backend_test >"$OUT/mem_pieces.log" 2>&1
  echo "memcheck test_copy_pieces rc=$? $(grep -E 'ERROR SUMMARY' "$OUT/mem_pieces.log" | tail -1) $(grep -c 'rel err' "$OUT/mem_pieces.log") images"
}
