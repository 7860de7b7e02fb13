#!/usr/bin/env bash
# A/B of two gpu_bench builds on the same card in the same call, alternating
# A B A B so that clock and host drift hit both: prints each run's summary
# table (graph ms per batch) and keeps the full logs.
#   bench/gpu_ab.sh A_BIN B_BIN [gpu_bench options...]
# e.g. (on the GPU host, .gpu/ carried; base staged from the previous commit)
#   bench/gpu_ab.sh .gpu/bin/gpu_bench_base .gpu/bin/gpu_bench --batches 1,8,64,256 --iters 50
# A_ENV / B_ENV add environment settings to one side, e.g. the same binary
# without and with the cluster mode:
#   A_ENV=BLOCKFUSE_CUDA_CLUSTER=0 B_ENV=BLOCKFUSE_CUDA_CLUSTER=1 \
#     bench/gpu_ab.sh .gpu/bin/gpu_bench .gpu/bin/gpu_bench --batches 1,8,64,256 --iters 50
# Logs: $OUT/ab_{A,B}{1,2}.txt (OUT defaults to /tmp/blockfuse-gpu).
set -u
bench/gpu_bench.sh unpack || exit 1 # the staged binaries travel packed
[ $# -ge 2 ] || { echo "usage: $0 A_BIN B_BIN [gpu_bench options...]" >&2; exit 2; }
a=$1 b=$2
shift 2
OUT=${OUT:-/tmp/blockfuse-gpu}
MODEL=${MODEL:-.gpu/runfiles/blockfuse/models/efficientnet_b0}
mkdir -p "$OUT"
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
rc=0
for round in 1 2; do
  for side in A B; do
    bin=$a sideenv=${A_ENV:-}
    [ "$side" = B ] && bin=$b sideenv=${B_ENV:-}
    log="$OUT/ab_$side$round.txt"
    echo "== $side$round: $sideenv $bin"
    # shellcheck disable=SC2086 # sideenv is a list of NAME=VALUE words
    env $sideenv "$bin" "$MODEL" "$@" >"$log" 2>&1 || { rc=1; echo "FAIL $side$round"; tail -5 "$log"; continue; }
    # the throughput table: from its header to the first blank line
    awk '/^ *batch /{p=1} p&&/^$/{exit} p' "$log"
    grep -E "^total" "$log"
  done
done
exit $rc
