#!/usr/bin/env bash
# Session 8 call 11: how the executors wait for the GPU (BLOCKFUSE_CUDA_SYNC auto/yield/block):
# JPEG and uint8 serving (daemon defaults), then gpu_bench run() latency at batch 1 and 64.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu"
BF=.gpu/runfiles/blockfuse/server/blockfuse; M=.gpu/runfiles/blockfuse/models/efficientnet_b0; IMG=.gpu/runfiles/efficientnet_b0_tfjs/panda.jpg
date -u +%FT%TZ
snap() { for t in /proc/$1/task/*; do echo "$(basename $t) $(awk '{print $14+$15}' $t/stat)"; done > $2 2>/dev/null; }
tot() { awk -v s=$3 'NR==FNR {b[$1]=$2; next} {tot+=$2-b[$1]} END {printf "daemon CPU %.0f%%", tot/s}' $1 $2; }
for mode in auto block yield; do
  env=""; [ $mode != auto ] && env="BLOCKFUSE_CUDA_SYNC=$mode"
  rm -f /tmp/p; env $env $BF serve --backend cuda --model $M --port 0 --port-file /tmp/p --max-batch-size 64 --log-level warn 2>/tmp/s.log & pid=$!
  for _ in $(seq 1 300); do [ -s /tmp/p ] && break; sleep 0.1; done; url=http://127.0.0.1:$(cat /tmp/p)
  for _ in $(seq 1 300); do curl -sf $url/v2/health/ready >/dev/null && break; sleep 0.1; done
  for w in "JPEG 64 --api v1 -i $IMG" "u8bin 128 --api v2-binary --tensor uint8 --binary-output"; do
    set -- $w; label=$1; c=$2; shift 2
    $BF loadgen -c $c --warmup 1 -d 6 "$@" --json /tmp/j1.json -q $url >/dev/null 2>&1 & l1=$!
    $BF loadgen -c $c --warmup 1 -d 6 "$@" --json /tmp/j2.json -q $url >/dev/null 2>&1 & l2=$!
    sleep 2.5; snap $pid /tmp/a; sleep 3; snap $pid /tmp/b; wait $l1 $l2
    python3 -c "
import json; a=json.load(open('/tmp/j1.json')); b=json.load(open('/tmp/j2.json'))
print('%-6s %-6s c=%d: %6.0f req/s  p50 %.1f ms  p99 %.1f ms  failed %d' % ('$mode', '$label', 2*$c, a['throughput_rps']+b['throughput_rps'], a['latency_us']['p50']/1e3, a['latency_us']['p99']/1e3, a['failed']+b['failed']), end='  ')"
    tot /tmp/a /tmp/b 3; echo
  done
  kill $pid; wait $pid
  env $env .gpu/bin/gpu_bench $M --batches 1,64 --iters 50 2>&1 | grep -E "^ +(1|64) " | awk -v m=$mode '{print m, "gpu_bench batch", $1, "run p50", $3, "p99", $4, "graph", $6}'
done
