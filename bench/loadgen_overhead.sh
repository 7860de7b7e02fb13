#!/usr/bin/env bash
# How fast can `blockfuse loadgen` itself go? Against nginx answering every
# POST with a fixed 200 on loopback, loadgen's requests/s (closed loop) next
# to wrk's in the same run, so that loadgen is known never to be the
# bottleneck of an inference measurement. Also checks that an open loop at a
# given rate is sustained (no late sends).
#
#   bench/loadgen_overhead.sh          # 5 s per run
#   DUR=10 CONNS=64 bench/loadgen_overhead.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bazel-bin/server/blockfuse}
DUR=${DUR:-5}
CONNS=${CONNS:-64}
RATE=${RATE:-5000}
for t in nginx wrk; do command -v $t > /dev/null || { echo "need $t (apt-get install nginx-light wrk)" >&2; exit 1; }; done
[[ -x $BIN ]] || { echo "build first: ./bazelw build //server:blockfuse" >&2; exit 1; }
T=$(mktemp -d)
cleanup() { [[ -f $T/nginx.pid ]] && kill "$(cat "$T/nginx.pid")" 2> /dev/null; rm -rf "$T"; }
trap cleanup EXIT
PORT=${PORT:-18931}
cat > "$T/nginx.conf" <<NGX
daemon on; worker_processes 1; pid $T/nginx.pid; error_log $T/error.log;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $T; keepalive_requests 1000000;
  server { listen 127.0.0.1:$PORT; location / { return 200 '{"ok":true}'; } } }
NGX
nginx -c "$T/nginx.conf"
sleep 0.3
# A 2 KiB body that starts like a JPEG (loadgen checks the magic bytes only).
printf '\xff\xd8\xff\xe0' > "$T/x.jpg"; head -c 2044 /dev/zero >> "$T/x.jpg"
echo "# $(date -u +%FT%TZ) $(uname -n) $(nproc) cores; nginx 1 worker; ${DUR}s per run"
echo "## wrk -t1 -c$CONNS (GET)"
wrk -t1 -c"$CONNS" -d"${DUR}s" --latency "http://127.0.0.1:$PORT/" | grep -E 'Requests/sec|50%|99%'
echo "## blockfuse loadgen -c$CONNS (POST, 2 KiB body)"
"$BIN" loadgen -c "$CONNS" -d "$DUR" -i "$T/x.jpg" "http://127.0.0.1:$PORT" | grep -E 'throughput|p50|status'
echo "## blockfuse loadgen -r $RATE constant (open loop)"
"$BIN" loadgen -r "$RATE" --arrival constant -c "$CONNS" -d "$DUR" -i "$T/x.jpg" "http://127.0.0.1:$PORT" \
  | grep -E 'throughput|p50|schedule|warning'
