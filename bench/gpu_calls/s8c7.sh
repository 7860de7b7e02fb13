#!/usr/bin/env bash
# Session 8 call 7: --http-threads on the H200 host; the daemon's tests on cuda first.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
BF=.gpu/runfiles/blockfuse/server/blockfuse
M=.gpu/runfiles/blockfuse/models/efficientnet_b0; IMG=.gpu/runfiles/efficientnet_b0_tfjs/panda.jpg
date -u +%FT%TZ
for t in serve_api_test serve_load_test; do
  BLOCKFUSE_TEST_BACKEND=cuda .gpu/bin/$t > /tmp/$t.log 2>&1 || echo "FAIL $t"; grep -E "PASSED|FAILED|loops served" /tmp/$t.log | tail -3
done
snap() { for t in /proc/$1/task/*; do echo "$(basename $t) $(awk '{print $14+$15}' $t/stat)"; done > $2 2>/dev/null; }
top3() { awk -v s=$3 'NR==FNR {b[$1]=$2; next} {d=$2-b[$1]; tot+=d; printf "%.0f\n", d/s} END {printf "T%.0f\n", tot/s}' $1 $2 | sort -k1,1rn | awk '/^T/ {t=$0; next} NR<=4 {l=l" "$0} END {print "busiest"l" total "substr(t,2)"%"}'; }
for round in 1 2; do
  for h in 1 2 3 4; do
    rm -f /tmp/p
    $BF serve --backend cuda --model $M --port 0 --port-file /tmp/p --log-level warn --executors 2 --max-batch-size 64 --http-threads $h 2>/tmp/s.log &
    pid=$!
    for _ in $(seq 1 300); do [ -s /tmp/p ] && break; sleep 0.1; done
    url=http://127.0.0.1:$(cat /tmp/p)
    for _ in $(seq 1 300); do curl -sf $url/v2/health/ready >/dev/null && break; sleep 0.1; done
    for mode in "64 --binary-output" "256 --binary-output" "64 JSON"; do
      set -- $mode; c=$1; extra=$2; [ "$extra" = JSON ] && extra=""
      $BF loadgen -c $((c/2)) --warmup 1 -d 5 --api v2-binary --tensor uint8 $extra $url > /tmp/lg1.txt 2>&1 & l1=$!
      $BF loadgen -c $((c/2)) --warmup 1 -d 5 --api v2-binary --tensor uint8 $extra $url > /tmp/lg2.txt 2>&1 & l2=$!
      sleep 2; snap $pid /tmp/a; sleep 2; snap $pid /tmp/b; wait $l1 $l2
      printf "r%s loops %s c%-3s %-15s %s | p50 %s | %s\n" $round $h $c "${2}" "$(cat /tmp/lg1.txt /tmp/lg2.txt | awk '/throughput/ {t+=$2} END {printf "%6.0f req/s", t}')" "$(awk '/p50/ {print $2}' /tmp/lg1.txt)" "$(top3 /tmp/a /tmp/b 2)"
      grep -hE " [1-9][0-9]* failed" /tmp/lg1.txt /tmp/lg2.txt
    done
    if [ $round = 1 ]; then
      $BF loadgen -c 128 --warmup 1 -d 5 --api v1 -i $IMG $url > /tmp/lg1.txt 2>&1
      printf "r%s loops %s c128 JPEG            %s | p50 %s\n" $round $h "$(awk '/throughput/ {printf "%6.0f req/s", $2}' /tmp/lg1.txt)" "$(awk '/p50/ {print $2}' /tmp/lg1.txt)"
    fi
    kill $pid; wait $pid
  done
done
