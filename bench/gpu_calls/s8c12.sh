#!/usr/bin/env bash
# Session 8 call 12: one loadgen process with --threads against the daemon (defaults), vs two processes.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu"
BF=.gpu/runfiles/blockfuse/server/blockfuse; M=.gpu/runfiles/blockfuse/models/efficientnet_b0
date -u +%FT%TZ
rm -f /tmp/p; $BF serve --backend cuda --model $M --port 0 --port-file /tmp/p --max-batch-size 64 --log-level warn 2>/tmp/s.log & pid=$!
for _ in $(seq 1 300); do [ -s /tmp/p ] && break; sleep 0.1; done; url=http://127.0.0.1:$(cat /tmp/p)
for _ in $(seq 1 300); do curl -sf $url/v2/health/ready >/dev/null && break; sleep 0.1; done
A="--api v2-binary --tensor uint8 --binary-output"
for round in 1 2; do
  for t in 1 2 4; do
    $BF loadgen -c 256 -t $t --warmup 1 -d 5 $A $url 2>&1 | awk -v t=$t -v r=$round '/throughput/ {x=$2} /p50/ {p=$2" p99 "$6} /client/ {c=$2} END {printf "r%s one loadgen -t %s c=256: %.0f req/s  p50 %s  client %s\n", r, t, x, p, c}'
  done
  $BF loadgen -c 128 --warmup 1 -d 5 $A --json /tmp/j1.json -q $url & l1=$!
  $BF loadgen -c 128 --warmup 1 -d 5 $A --json /tmp/j2.json -q $url & l2=$!
  wait $l1 $l2
  python3 -c "
import json; a=json.load(open('/tmp/j1.json')); b=json.load(open('/tmp/j2.json'))
print('r$round two loadgens x -c 128: %.0f req/s  p50 %.1f ms' % (a['throughput_rps']+b['throughput_rps'], a['latency_us']['p50']/1e3))"
done
$BF loadgen -r 20000 -t 2 -d 5 --warmup 1 $A $url 2>&1 | grep -E "open loop|throughput|p50|schedule|client|warning"
kill $pid; wait $pid
