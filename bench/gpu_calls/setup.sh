#!/usr/bin/env bash
# Sourced by the call scripts (s25_ab.sh and the twenty-sixth session's on; the earlier ones
# carry these lines each): on the GPU host, repo root, .gpu/ carried. Unpacks the staged
# binaries and the model (packed: .gpu/ sits near the carry limit), exports what the GPU
# binaries need, sets M (the model folder) and prints the card and the time. Defines
#   serve_run TIMEOUT
# which runs the daemon on the cuda backend under loadgen and its integration tests
# (bench/gpu_bench.sh run, PHASES=serve,servetest) into $OUT/run.log and prints the summary.
bench/gpu_bench.sh unpack || exit 1
f=.gpu/runfiles/blockfuse/models/efficientnet_b0/model.safetensors.xz
[ -e "$f" ] && { xz -d -f "$f" || exit 1; }
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
date -u +%FT%TZ
serve_run() {
  PHASES=serve,servetest CONCURRENT=0 timeout "$1" bench/gpu_bench.sh run >"$OUT/run.log" 2>&1
  echo "gpu_bench.sh run rc=$?"
  grep -E -i "req/s|requests|p50|p99|fail|passed|== " "$OUT/run.log" | head -40
  date -u +%FT%TZ
}
