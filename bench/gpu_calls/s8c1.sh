#!/usr/bin/env bash
# Session 8 call 1: kernel/network tests of 4bccc8c, then where the serving path's CPU goes.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu"
BF=.gpu/runfiles/blockfuse/server/blockfuse
M=.gpu/runfiles/blockfuse/models/efficientnet_b0; IMG=.gpu/runfiles/efficientnet_b0_tfjs/panda.jpg
nproc; grep -m1 'model name' /proc/cpuinfo; which perf || echo "no perf"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
t0=$(date +%s)
.gpu/bin/gpu_kernels_test 2>&1 | tail -3
.gpu/bin/gpu_backend_test 2>&1 | tail -3
echo "tests $(( $(date +%s) - t0 )) s"
# per-thread CPU % of a pid over an interval: snap PID FILE
snap() { for t in /proc/$1/task/*; do echo "$(basename $t) $(cat $t/comm | tr ' ' _) $(awk '{print $14+$15}' $t/stat)"; done > $2 2>/dev/null; }
cpu() { # before after seconds
  awk -v s=$3 'NR==FNR {b[$1]=$3; next} {d=$3-b[$1]; if (d>0) printf "%s:%.0f%% ", $2, d/s; tot+=d} END {printf " | total %.0f%%\n", tot/s}' $1 $2; }
start() { # backend model extra...
  rm -f /tmp/p; local be=$1 m=$2; shift 2
  $BF serve --backend $be --model $m --port 0 --port-file /tmp/p --log-level warn "$@" 2>/tmp/s.log &
  pid=$!
  for _ in $(seq 1 300); do [ -s /tmp/p ] && break; sleep 0.1; done
  url=http://127.0.0.1:$(cat /tmp/p)
  for _ in $(seq 1 300); do curl -sf $url/v2/health/ready >/dev/null && break; sleep 0.1; done
}
load() { # label nproc conc args...
  local label=$1 np=$2 c=$3; shift 3
  local pids=""
  for i in $(seq $np); do $BF loadgen -c $c --warmup 1 -d 6 "$@" $url > /tmp/lg$i.txt 2>&1 & pids="$pids $!"; done
  sleep 2; snap $pid /tmp/a; for p in $pids; do snap $p /tmp/la$p; done
  sleep 3; snap $pid /tmp/b; for p in $pids; do snap $p /tmp/lb$p; done
  wait $pids
  local tp=$(cat /tmp/lg*.txt | awk '/throughput/ {t+=$2} END {print t}')
  echo "== $label: $np loadgen x -c $c: $tp req/s; $(grep -h p99 /tmp/lg*.txt | head -2 | tr '\n' ' ')"
  echo -n "   daemon: "; cpu /tmp/a /tmp/b 3
  for p in $pids; do echo -n "   loadgen: "; cpu /tmp/la$p /tmp/lb$p 3; done
  rm -f /tmp/lg*.txt
}
U8="--api v2-binary --tensor uint8"
JP="--api v1 -i $IMG"
start cuda $M --executors 2 --max-batch-size 64
load "cuda uint8" 1 64 $U8
load "cuda uint8" 2 32 $U8
load "cuda uint8" 4 32 $U8
load "cuda jpeg" 1 64 $JP
load "cuda jpeg" 2 32 $JP
curl -s $url/metrics | grep -E '^nv_inference_(request_duration_us|queue_duration_us|compute_infer_duration_us|request_success|exec_count)\{' | sed 's/{.*}//' | tr '\n' ' '; echo
kill $pid; wait $pid
start cpu .gpu/tiny --max-batch-size 32
load "tiny cpu uint8" 1 64 $U8 --model tiny
load "tiny cpu uint8" 2 32 $U8 --model tiny
load "tiny cpu uint8" 4 32 $U8 --model tiny
kill $pid; wait $pid
