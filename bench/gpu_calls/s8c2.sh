#!/usr/bin/env bash
# Session 8 call 2: GPU tests of this build (incl. 4bccc8c), the daemon's tests on cuda,
# then the serving path: JSON responses (base vs this build), binary outputs, JPEG, tiny model.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
BF=.gpu/runfiles/blockfuse/server/blockfuse; BASE=.gpu/bin/blockfuse_base
M=.gpu/runfiles/blockfuse/models/efficientnet_b0; IMG=.gpu/runfiles/efficientnet_b0_tfjs/panda.jpg
date -u +%FT%TZ; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
t0=$(date +%s)
for t in gpu_kernels_test gpu_backend_test; do
  .gpu/bin/$t > /tmp/$t.log 2>&1 || echo "FAIL $t"; grep -E "PASSED|FAILED|top-1" /tmp/$t.log | tail -4
done
for t in serve_api_test serve_load_test; do
  BLOCKFUSE_TEST_BACKEND=cuda .gpu/bin/$t > /tmp/$t.log 2>&1 || echo "FAIL $t"; grep -E "PASSED|FAILED" /tmp/$t.log | tail -3
done
echo "tests $(( $(date +%s) - t0 )) s"
snap() { for t in /proc/$1/task/*; do echo "$(basename $t) $(awk '{print $14+$15}' $t/stat)"; done > $2 2>/dev/null; }
cpu() { awk -v s=$3 'NR==FNR {b[$1]=$2; next} {d=$2-b[$1]; if (d>0) { n++; if (d/s > 50) hot++ } tot+=d} END {printf "daemon CPU %.0f%% (%d threads busy, %d over 50%%)\n", tot/s, n, hot}' $1 $2; }
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
  grep -iE "fail|error" /tmp/lg.txt | head -2
}
U8="--api v2-binary --tensor uint8"
for round in 1 2; do
  start $BASE cuda $M --executors 2 --max-batch-size 64
  load "r$round base  cuda uint8, JSON outputs" $U8
  kill $pid; wait $pid
  start $BF cuda $M --executors 2 --max-batch-size 64
  load "r$round this  cuda uint8, JSON outputs" $U8
  [ $round = 1 ] && load "r$round this  cuda uint8, binary outputs" $U8 --binary-output
  [ $round = 1 ] && load "r$round this  cuda JPEG /v1" --api v1 -i $IMG
  kill $pid; wait $pid
done
curl -s -o /dev/null -w "" $url 2>/dev/null
start $BF cpu .gpu/tiny --max-batch-size 32
load "this  tiny(1000 classes) cpu uint8, JSON outputs" $U8 --model tiny
load "this  tiny(1000 classes) cpu uint8, binary outputs" $U8 --model tiny --binary-output
kill $pid; wait $pid
start $BASE cpu .gpu/tiny --max-batch-size 32
load "base  tiny(1000 classes) cpu uint8, JSON outputs" $U8 --model tiny
kill $pid; wait $pid
