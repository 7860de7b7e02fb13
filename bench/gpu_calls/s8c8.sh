#!/usr/bin/env bash
# Session 8 call 8: executors per GPU with the default 4 HTTP loops; then gpu_bench.sh's serve phase.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu"
BF=.gpu/runfiles/blockfuse/server/blockfuse
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
date -u +%FT%TZ
snap() { for t in /proc/$1/task/*; do echo "$(basename $t) $(awk '{print $14+$15}' $t/stat)"; done > $2 2>/dev/null; }
top3() { awk -v s=$3 'NR==FNR {b[$1]=$2; next} {d=$2-b[$1]; tot+=d; printf "%.0f\n", d/s} END {printf "T%.0f\n", tot/s}' $1 $2 | sort -k1,1rn | awk '/^T/ {t=$0; next} NR<=4 {l=l" "$0} END {print "busiest"l" total "substr(t,2)"%"}'; }
for round in 1 2; do
  for e in 1 2 4; do
    rm -f /tmp/p
    $BF serve --backend cuda --model $M --port 0 --port-file /tmp/p --log-level info --executors $e --max-batch-size 64 2>/tmp/s.log &
    pid=$!
    for _ in $(seq 1 300); do [ -s /tmp/p ] && break; sleep 0.1; done
    url=http://127.0.0.1:$(cat /tmp/p)
    for _ in $(seq 1 300); do curl -sf $url/v2/health/ready >/dev/null && break; sleep 0.1; done
    [ $round$e = 11 ] && grep -o "http_loops=[0-9]*" /tmp/s.log
    for c in 64 256; do
      $BF loadgen -c $((c/2)) --warmup 1 -d 5 --api v2-binary --tensor uint8 --binary-output $url > /tmp/lg1.txt 2>&1 & l1=$!
      $BF loadgen -c $((c/2)) --warmup 1 -d 5 --api v2-binary --tensor uint8 --binary-output $url > /tmp/lg2.txt 2>&1 & l2=$!
      sleep 2; snap $pid /tmp/a; sleep 2; snap $pid /tmp/b; wait $l1 $l2
      printf "r%s executors %s c%-3s %s | p50 %s | %s\n" $round $e $c "$(cat /tmp/lg1.txt /tmp/lg2.txt | awk '/throughput/ {t+=$2} END {printf "%6.0f req/s", t}')" "$(awk '/p50/ {print $2}' /tmp/lg1.txt)" "$(top3 /tmp/a /tmp/b 2)"
      grep -hE " [1-9][0-9]* failed" /tmp/lg1.txt /tmp/lg2.txt
    done
    kill $pid; wait $pid
  done
done
PHASES=serve bench/gpu_bench.sh run 2>&1 | grep -E "==|throughput|p50|requests|metrics lines"
