#!/usr/bin/env bash
# A/B of the HTTP front of two `blockfuse` binaries on this machine, in the
# same run, alternating so drift hits both: wrk on /v2/health/ready with
# keep-alive (64 connections) and with a new connection per request
# (`Connection: close`, 16 connections), CPU backend, ROUNDS rounds.
#   bench/http_ab.sh OLD_BIN NEW_BIN
# e.g. build the baseline in a worktree:
#   git worktree add /tmp/base <rev> && (cd /tmp/base && ./bazelw build //server:blockfuse)
#   bench/http_ab.sh /tmp/base/bazel-bin/server/blockfuse bazel-bin/server/blockfuse
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OLD_BIN NEW_BIN" >&2; exit 2; }
command -v wrk >/dev/null || { echo "http_ab: wrk not installed" >&2; exit 1; }
MODEL=${MODEL:-bazel-bin/models/efficientnet_b0}
ROUNDS=${ROUNDS:-4}
DURATION=${DURATION:-6}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for round in $(seq "$ROUNDS"); do
  for side in old new; do
    bin=$1
    [ "$side" = new ] && bin=$2
    rm -f "$T/port"
    "$bin" serve --host 127.0.0.1 --port 0 --port-file "$T/port" --model "$MODEL" --backend cpu \
      --log-level warn >"$T/$side.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
    url=http://127.0.0.1:$(cat "$T/port")/v2/health/ready
    for _ in $(seq 200); do curl -sf "$url" >/dev/null && break; sleep 0.1; done
    ka=$(wrk -t2 -c64 -d"${DURATION}s" "$url" | awk '/Requests\/sec/{print $2}')
    cl=$(wrk -t2 -c16 -d"${DURATION}s" -H "Connection: close" "$url" | awk '/Requests\/sec/{print $2}')
    echo "round $round $side keepalive_req_s=$ka new_connection_req_s=$cl"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
  done
done
