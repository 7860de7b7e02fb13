#!/usr/bin/env bash
# Where does a request's time go when the cuda daemon serves 64 JPEG clients?
bench/gpu_bench.sh unpack || exit 1 # the staged binaries travel packed
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0; IMG=.gpu/runfiles/efficientnet_b0_tfjs/panda.jpg
nproc
for cfg in "2 8" "2 16" "4 16" "1 8"; do
  set -- $cfg
  rm -f /tmp/p
  .gpu/runfiles/blockfuse/server/blockfuse serve --backend cuda --model $M --port 0 --port-file /tmp/p --executors $1 \
    --max-batch-size 64 --decode-threads $2 --log-level warn 2>/tmp/s.log &
  pid=$!
  for _ in $(seq 1 300); do [ -s /tmp/p ] && break; sleep 0.1; done
  url=http://127.0.0.1:$(cat /tmp/p)
  for _ in $(seq 1 300); do curl -sf $url/v2/health/ready >/dev/null && break; sleep 0.1; done
  .gpu/runfiles/blockfuse/server/blockfuse loadgen -c 64 --warmup 1 -d 6 --api v1 -i $IMG $url > /tmp/lg.txt 2>&1 &
  lg=$!
  sleep 4
  top -b -n 1 -H -p $pid | head -30 | tail -22 > /tmp/top.txt
  curl -s -H 'Content-Type: image/jpeg' --data-binary @$IMG "$url/v1/classify?top_k=1" | grep -o '"batch_size.*'
  wait $lg
  echo "== executors $1 decode-threads $2: $(grep throughput /tmp/lg.txt) $(grep p50 /tmp/lg.txt)"
  curl -s $url/metrics | grep -E '^nv_inference_(request_duration_us|queue_duration_us|compute_infer_duration_us|compute_input_duration_us|compute_output_duration_us|count|exec_count|request_success)\{' | sed 's/{.*}//' | tr '\n' ' '; echo
  cat /tmp/top.txt | awk '{print $9, $12}' | head -14 | tr '\n' ';'; echo
  kill $pid; wait $pid
done
