#!/usr/bin/env bash
# Session 8 call 5: who is saturated at 256 clients (daemon threads vs load generators)?
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu"
BF=.gpu/runfiles/blockfuse/server/blockfuse
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
date -u +%FT%TZ
snap() { for t in /proc/$1/task/*; do echo "$(basename $t) $(cat $t/comm | tr ' ' _) $(awk '{print $14+$15}' $t/stat)"; done > $2 2>/dev/null; }
cpu() { awk -v s=$3 'NR==FNR {b[$1]=$3; next} {d=$3-b[$1]; if (d/s >= 5) printf "%.0f ", d/s; tot+=d} END {printf " | total %.0f%%\n", tot/s}' $1 $2 | tr ' ' '\n' | sort -rn | head -6 | tr '\n' ' '; echo; }
rm -f /tmp/p
$BF serve --backend cuda --model $M --port 0 --port-file /tmp/p --log-level warn --executors 2 --max-batch-size 64 2>/tmp/s.log &
pid=$!
for _ in $(seq 1 300); do [ -s /tmp/p ] && break; sleep 0.1; done
url=http://127.0.0.1:$(cat /tmp/p)
for _ in $(seq 1 300); do curl -sf $url/v2/health/ready >/dev/null && break; sleep 0.1; done
ps -o nlwp= -p $pid
U8="--api v2-binary --tensor uint8 --binary-output"
for cfg in "1 64" "1 256" "2 128" "4 64" "4 16"; do
  set -- $cfg
  pids=""
  for i in $(seq $1); do $BF loadgen -c $2 --warmup 1 -d 6 $U8 $url > /tmp/lg$i.txt 2>&1 & pids="$pids $!"; done
  sleep 2.5; snap $pid /tmp/a; for p in $pids; do snap $p /tmp/la$p; done
  sleep 3; snap $pid /tmp/b; for p in $pids; do snap $p /tmp/lb$p; done
  wait $pids
  echo "== $1 loadgen x -c $2: $(cat /tmp/lg*.txt | awk '/throughput/ {t+=$2} END {printf "%.0f req/s", t}') $(grep -h p50 /tmp/lg1.txt)"
  echo -n "   daemon busiest threads %: "; cpu /tmp/a /tmp/b 3
  for p in $pids; do echo -n "   loadgen %: "; cpu /tmp/la$p /tmp/lb$p 3; done
  rm -f /tmp/lg*.txt
done
kill $pid; wait $pid
