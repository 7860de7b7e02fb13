#!/usr/bin/env bash
# Session 8 call 6: libmicrohttpd's per-connection memory / read increment A/B (loop thread bound).
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu"
BF=.gpu/runfiles/blockfuse/server/blockfuse
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
date -u +%FT%TZ
snap() { for t in /proc/$1/task/*; do echo "$(basename $t) $(awk '{print $14+$15}' $t/stat)"; done > $2 2>/dev/null; }
top1() { awk -v s=$3 'NR==FNR {b[$1]=$2; next} {d=$2-b[$1]; if (d/s > mx) mx=d/s} END {printf "busiest %.0f%%", mx}' $1 $2; }
U8="--api v2-binary --tensor uint8 --binary-output"
for round in 1 2; do
  for cfg in "262144 65536" "65536 16384" "131072 32768" "524288 131072" "1048576 262144"; do
    set -- $cfg
    rm -f /tmp/p
    BLOCKFUSE_HTTP_CONN_MEMORY=$1 BLOCKFUSE_HTTP_READ_INCREMENT=$2 $BF serve --backend cuda --model $M --port 0 --port-file /tmp/p \
      --log-level warn --executors 2 --max-batch-size 64 2>/tmp/s.log &
    pid=$!
    for _ in $(seq 1 300); do [ -s /tmp/p ] && break; sleep 0.1; done
    url=http://127.0.0.1:$(cat /tmp/p)
    for _ in $(seq 1 300); do curl -sf $url/v2/health/ready >/dev/null && break; sleep 0.1; done
    for c in 64 256; do
      $BF loadgen -c $c --warmup 1 -d 5 $U8 $url > /tmp/lg.txt 2>&1 & lg=$!
      sleep 2; snap $pid /tmp/a; sleep 2; snap $pid /tmp/b; wait $lg
      printf "r%s mem %7s incr %6s c%-3s %s  %s\n" $round $1 $2 $c "$(awk '/throughput/ {printf "%6.0f req/s", $2} /p50/ {printf " p50 %s p99 %s", $2, $6}' /tmp/lg.txt)" "$(top1 /tmp/a /tmp/b 2)"
    done
    kill $pid; wait $pid
  done
done
