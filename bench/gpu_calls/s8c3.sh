#!/usr/bin/env bash
# Session 8 call 3: the JSON-response A/B in one call (base = 6846bcd's blockfuse).
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu"
BF=.gpu/runfiles/blockfuse/server/blockfuse; BASE=.gpu/bin/blockfuse_base; chmod +x $BASE
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
date -u +%FT%TZ
snap() { for t in /proc/$1/task/*; do echo "$(basename $t) $(awk '{print $14+$15}' $t/stat)"; done > $2 2>/dev/null; }
cpu() { awk -v s=$3 'NR==FNR {b[$1]=$2; next} {d=$2-b[$1]; if (d>0) { n++; if (d/s > 50) hot++; if (d/s > mx) mx=d/s } tot+=d} END {printf "daemon CPU %.0f%% (%d threads busy, %d over 50%%, busiest %.0f%%)\n", tot/s, n, hot, mx}' $1 $2; }
start() { # binary backend model extra...
  rm -f /tmp/p; local bin=$1 be=$2 m=$3; shift 3
  $bin serve --backend $be --model $m --port 0 --port-file /tmp/p --log-level warn "$@" 2>/tmp/s.log &
  pid=$!
  for _ in $(seq 1 300); do [ -s /tmp/p ] && break; sleep 0.1; done
  url=http://127.0.0.1:$(cat /tmp/p)
  for _ in $(seq 1 300); do curl -sf $url/v2/health/ready >/dev/null && break; sleep 0.1; done
}
load() { # label args...
  local label=$1; shift
  $BF loadgen -c 64 --warmup 1 -d 6 "$@" $url > /tmp/lg.txt 2>&1 & local lg=$!
  sleep 2; snap $pid /tmp/a; sleep 3; snap $pid /tmp/b; wait $lg
  echo "== $label: $(awk '/throughput/ {print $2" req/s"} /p50/ {print $0}' /tmp/lg.txt | tr '\n' ' ' | tr -s ' ')"
  echo -n "   "; cpu /tmp/a /tmp/b 3
  grep -E "failed" /tmp/lg.txt | head -1
}
U8="--api v2-binary --tensor uint8"
for round in 1 2; do
  for b in base this; do
    bin=$BF; [ $b = base ] && bin=$BASE
    start $bin cuda $M --executors 2 --max-batch-size 64
    load "r$round $b cuda uint8, JSON outputs" $U8
    [ $round = 1 ] && load "r$round $b cuda uint8, binary outputs" $U8 --binary-output
    kill $pid; wait $pid
  done
done
for b in base this; do
  bin=$BF; [ $b = base ] && bin=$BASE
  start $bin cpu .gpu/tiny --max-batch-size 32
  load "$b tiny(1000 classes) cpu uint8, JSON outputs" $U8 --model tiny
  kill $pid; wait $pid
done
