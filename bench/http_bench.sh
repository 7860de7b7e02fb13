#!/usr/bin/env bash
# HTTP front benchmark: wrk on loopback against `blockfuse serve` (CPU
# backend) and, in the same run, nginx serving a static file of the same
# size as the readiness answer: the baseline for the front's own overhead.
#
#   bench/http_bench.sh                 # 10 s per health run, 20 s classify
#   DURATION=5 CONNS=32 bench/http_bench.sh
#
# Needs: wrk, nginx (nginx-light), a built //server:blockfuse and the model
# (./bazelw build //server:blockfuse).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BLOCKFUSE:-bazel-bin/server/blockfuse}
MODEL=${MODEL:-bazel-bin/models/efficientnet_b0}
if [[ -z ${IMG:-} ]]; then # the sample photo of the pinned npm package
  OB=$(bazel info output_base 2>/dev/null || true)
  for c in "$OB"/external/efficientnet_b0_tfjs/{panda,car}.jpg; do [[ -f $c ]] && IMG=$c && break; done
fi
[[ -f ${IMG:-} ]] || { echo "http_bench: set IMG=/path/to/photo.jpg" >&2; exit 1; }
DURATION=${DURATION:-10}
CLS_DURATION=${CLS_DURATION:-20}
CONNS=${CONNS:-64}
CLS_CONNS=${CLS_CONNS:-16}
THREADS=${THREADS:-2}
for t in wrk nginx; do command -v $t >/dev/null || { echo "http_bench: $t not installed" >&2; exit 1; }; done
[[ -x $BIN ]] || { echo "http_bench: build first: ./bazelw build //server:blockfuse" >&2; exit 1; }

T=$(mktemp -d)
cleanup() {
  [[ -n ${BF_PID:-} ]] && kill "$BF_PID" 2>/dev/null && wait "$BF_PID" 2>/dev/null || true
  [[ -f $T/nginx.pid ]] && kill "$(cat "$T/nginx.pid")" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT

"$BIN" serve --host 127.0.0.1 --port 0 --port-file "$T/port" --model "$MODEL" --backend cpu \
  --max-batch-size 16 --max-queue-delay-us 2000 --max-queue-size 1024 --log-level warn &
BF_PID=$!
for _ in $(seq 300); do [[ -s $T/port ]] && break; sleep 0.1; done
BF=http://127.0.0.1:$(cat "$T/port")
for _ in $(seq 300); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$BF/v2/health/ready") == 200 ]] && break
  sleep 0.1
done

# nginx on a free port, one worker (blockfuse has one event-loop thread).
NPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/www"
curl -s "$BF/v2/health/ready" > "$T/www/ready.json"
chmod -R a+rX "$T"
cat > "$T/nginx.conf" <<EOF
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $T; proxy_temp_path $T; fastcgi_temp_path $T;
  uwsgi_temp_path $T; scgi_temp_path $T;
  server { listen 127.0.0.1:$NPORT; root $T/www; default_type application/json; }
}
EOF
nginx -c "$T/nginx.conf" -p "$T"
sleep 0.3

cat > "$T/post.lua" <<EOF
local f = assert(io.open("$IMG", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "image/jpeg"
EOF

run() { # name, wrk args...
  local name=$1; shift
  echo "== $name: wrk $*"
  wrk "$@" | tee "$T/out" | grep -E 'Requests/sec|Latency  |^ +(50|90|99)%|Non-2xx|Socket errors'
}

echo "date: $(date -u +%FT%TZ)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') x $(nproc)"
run "nginx static ready.json" -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$NPORT/ready.json"
run "blockfuse /v2/health/ready" -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$BF/v2/health/ready"
run "blockfuse /v1/classify panda.jpg (CPU backend)" -t"$THREADS" -c"$CLS_CONNS" -d"${CLS_DURATION}s" \
  --latency -s "$T/post.lua" "$BF/v1/classify"
curl -s "$BF/metrics" | grep -E '^blockfuse_batch_size_(sum|count)|^nv_inference_(count|exec_count)'
