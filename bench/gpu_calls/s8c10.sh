#!/usr/bin/env bash
# Session 8 call 10: the final build: the daemon's tests on cuda, then the standard serving check
# with the daemon's own defaults (4 HTTP loops, 2 executors), two load generators for uint8.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
date -u +%FT%TZ
for t in gpu_backend_test serve_api_test serve_load_test; do
  BLOCKFUSE_TEST_BACKEND=cuda .gpu/bin/$t > /tmp/$t.log 2>&1 || echo "FAIL $t"; grep -E "PASSED|FAILED|loops served|top-1" /tmp/$t.log | tail -3
done
BF=.gpu/runfiles/blockfuse/server/blockfuse; M=.gpu/runfiles/blockfuse/models/efficientnet_b0; IMG=.gpu/runfiles/efficientnet_b0_tfjs/panda.jpg
rm -f /tmp/p; $BF serve --backend cuda --model $M --port 0 --port-file /tmp/p --max-batch-size 64 2>/tmp/s.log & pid=$!
for _ in $(seq 1 300); do [ -s /tmp/p ] && break; sleep 0.1; done; url=http://127.0.0.1:$(cat /tmp/p)
for _ in $(seq 1 300); do curl -sf $url/v2/health/ready >/dev/null && break; sleep 0.1; done
grep -oE "http_loops=[0-9]+|executors_per_device=[0-9]+" /tmp/s.log | tr '\n' ' '; echo
for mode in "64 JPEG" "64 u8" "256 u8" "256 u8bin"; do
  set -- $mode
  case $2 in JPEG) a="--api v1 -i $IMG";; u8) a="--api v2-binary --tensor uint8";; u8bin) a="--api v2-binary --tensor uint8 --binary-output";; esac
  $BF loadgen -c $(($1/2)) --warmup 2 -d 8 $a --json /tmp/j1.json -q $url > /dev/null 2>&1 & l1=$!
  $BF loadgen -c $(($1/2)) --warmup 2 -d 8 $a --json /tmp/j2.json -q $url > /dev/null 2>&1 & l2=$!
  wait $l1 $l2
  python3 -c "
import json; a=json.load(open('/tmp/j1.json')); b=json.load(open('/tmp/j2.json'))
print('c=$1 $2: %.0f req/s, p50 %.1f / %.1f ms, p99 %.1f / %.1f ms, failed %d, client cpu %.2f / %.2f' % (a['throughput_rps']+b['throughput_rps'], a['latency_us']['p50']/1e3, b['latency_us']['p50']/1e3, a['latency_us']['p99']/1e3, b['latency_us']['p99']/1e3, a['failed']+b['failed'], a['client_cpu'], b['client_cpu']))"
done
kill $pid; wait $pid
