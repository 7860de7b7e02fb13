#!/usr/bin/env bash
# Session 8 call 4: the batcher's delay and executors vs closed-loop concurrency (cuda, uint8, binary outputs).
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu"
BF=.gpu/runfiles/blockfuse/server/blockfuse
M=.gpu/runfiles/blockfuse/models/efficientnet_b0; IMG=.gpu/runfiles/efficientnet_b0_tfjs/panda.jpg
date -u +%FT%TZ
met() { curl -s $url/metrics | awk '/^nv_inference_(count|exec_count|request_success|queue_duration_us|compute_infer_duration_us|request_duration_us)\{/ {sub(/\{.*\}/,""); print $1, $2}' | sort; }
start() {
  rm -f /tmp/p
  $BF serve --backend cuda --model $M --port 0 --port-file /tmp/p --log-level warn "$@" 2>/tmp/s.log &
  pid=$!
  for _ in $(seq 1 300); do [ -s /tmp/p ] && break; sleep 0.1; done
  url=http://127.0.0.1:$(cat /tmp/p)
  for _ in $(seq 1 300); do curl -sf $url/v2/health/ready >/dev/null && break; sleep 0.1; done
}
load() { # label args...
  local label=$1; shift
  met > /tmp/m0
  $BF loadgen --warmup 0 -d 5 "$@" $url > /tmp/lg.txt 2>&1
  met > /tmp/m1
  printf "%-44s %s | %s\n" "$label" "$(awk '/throughput/ {printf "%7.0f req/s", $2} /p50/ {printf " p50 %s p99 %s", $2, $6}' /tmp/lg.txt)" \
    "$(join /tmp/m0 /tmp/m1 | awk '{d[$1]=$3-$2} END {n=d["nv_inference_request_success"]; if (n>0) printf "batch %.1f queue %.0f us compute %.0f us request %.0f us", d["nv_inference_count"]/d["nv_inference_exec_count"], d["nv_inference_queue_duration_us"]/n, d["nv_inference_compute_infer_duration_us"]/n, d["nv_inference_request_duration_us"]/n}')"
  grep -E " [1-9][0-9]* failed" /tmp/lg.txt
}
U8="--api v2-binary --tensor uint8 --binary-output"
for ex in 2 4; do
  for d in 0 500 2000; do
    start --executors $ex --max-batch-size 64 --max-queue-delay-us $d
    $BF loadgen -c 64 -d 1 $U8 $url > /dev/null 2>&1 # warm
    for c in 16 64 256; do load "E$ex delay $d c$c" -c $c $U8; done
    kill $pid; wait $pid
  done
done
start --executors 2 --max-batch-size 64 --max-queue-delay-us 0
for c in 64 256; do load "E2 delay 0 c$c JPEG" -c $c --api v1 -i $IMG; done
kill $pid; wait $pid
