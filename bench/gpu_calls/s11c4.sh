#!/usr/bin/env bash
# Session 11 call 4: the daemon before (dc78e0a: the tenth session's kernels, before its CPU
# work) and after (this session's build: the vectorised resize, the table-driven base64, the
# JSON scanner) this session's CPU changes, on the cuda backend, two rounds alternating: uint8
# tensors (v2-binary), JPEG (v1) and JPEG in KServe v2 JSON, `loadgen -c 64 -d 8` each, with
# the settings of gpu_bench.sh's serve phase (--executors 2 --max-batch-size 64).
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
IMG=.gpu/runfiles/efficientnet_b0_tfjs/panda.jpg
NEW=.gpu/runfiles/blockfuse/server/blockfuse
nproc; nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
date -u +%FT%TZ
for r in 1 2; do
  for side in old=.gpu/bin/blockfuse_base new=$NEW; do
    name=${side%%=*} bin=${side#*=}
    rm -f /tmp/bf.port
    "$bin" serve --backend cuda --model "$M" --port 0 --port-file /tmp/bf.port --executors 2 \
      --max-batch-size 64 --log-level warn >"$OUT/serve_$name$r.log" 2>&1 &
    spid=$!
    for _ in $(seq 1 300); do [ -s /tmp/bf.port ] && break; sleep 0.1; done
    url=http://127.0.0.1:$(cat /tmp/bf.port)
    for _ in $(seq 1 600); do curl -sf "$url/v2/health/ready" >/dev/null && break; sleep 0.1; done
    line="$name$r:"
    for api in "v2-binary --tensor uint8" "v1 -i $IMG" "v2 -i $IMG"; do
      # shellcheck disable=SC2086 # api is several words
      o=$("$bin" loadgen -c 64 --warmup 2 -d 8 --api $api "$url" 2>&1)
      line="$line ${api%% *} $(echo "$o" | awk '/^throughput/{t=$2} /p50/{p50=$2; p99=$8} /^requests/{f=$6} END{printf "%s req/s p50 %s p99 %s failed %s |", t, p50, p99, f}')"
    done
    echo "$line"
    kill "$spid"; wait "$spid" 2>/dev/null
  done
done
date -u +%FT%TZ
