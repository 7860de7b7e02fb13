#!/usr/bin/env bash
# Session 14 call 7: the session's kept build (7891618) against its start (f3e5777,
# gpu_bench_base) in one call, two rounds alternating; then the kept build against PyTorch
# and under load: the daemon's integration tests on the cuda backend, gpu_bench, the daemon
# under load and the PyTorch baseline (bench/gpu_bench.sh run).
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader; date -u +%FT%TZ
for r in 1 2; do
  for side in A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench; do
    name=${side%%=*} bin=${side#*=}
    "$bin" $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_${name}$r.txt" 2>&1
    echo "$name$r: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_${name}$r.txt")"
  done
done
date -u +%FT%TZ
OUT=/tmp/g PHASES=servetest,bench,serve,torch ITERS=100 bench/gpu_bench.sh run >/tmp/g.txt 2>&1
echo "gpu_bench.sh run rc=$?"
grep -E "^\[ +(PASSED|FAILED) +\]|^== |FAIL|throughput|p50|requests|failed|torch|compile|eager|^ +[0-9]+ +[0-9]" /tmp/g.txt | grep -v "^stack\|^stem\|^head" | cut -c1-160
cp /tmp/g/gpu_bench.txt /tmp/g.txt "$OUT/"
date -u +%FT%TZ
