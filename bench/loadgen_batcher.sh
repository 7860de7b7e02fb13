#!/usr/bin/env bash
# Batcher tuning table: how max_batch_size and max_queue_delay_us trade
# latency for throughput, measured with `blockfuse loadgen` against the daemon
# on loopback (CPU backend unless BACKEND says otherwise).
#
# For each (max_batch_size, max_queue_delay_us) pair it starts a fresh daemon
# on an ephemeral port, waits for readiness, warms up, then runs
#   - a closed loop with CONC connections (throughput at saturation), and
#   - an open loop at RATE req/s, Poisson arrivals (latency at a fixed load,
#     measured from each request's intended send time),
# and prints one markdown table row per pair.
#
#   bench/loadgen_batcher.sh                       # defaults below
#   BATCHES="1 8 32" DELAYS="0 2000 20000" RATE=20 bench/loadgen_batcher.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bazel-bin/server/blockfuse}
MODEL=${MODEL:-bazel-bin/models/efficientnet_b0}
IMAGE=${IMAGE:-bazel-main/external/efficientnet_b0_tfjs/panda.jpg}
BACKEND=${BACKEND:-cpu}
BATCHES=${BATCHES:-"1 4 8"}
DELAYS=${DELAYS:-"0 2000 10000"}
CONC=${CONC:-8}
RATE=${RATE:-10}
DUR=${DUR:-8}
WARM=${WARM:-2}
[[ -x $BIN ]] || { echo "build first: ./bazelw build //server:blockfuse" >&2; exit 1; }
[[ -f $IMAGE ]] || { echo "no image at $IMAGE (set IMAGE=)" >&2; exit 1; }
tmp=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# Prints "rps p50 p90 p99 p99.9 failed" from a loadgen --json summary (ms).
summary() {
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); l=s["latency_us"]
print("%.1f %.1f %.1f %.1f %.1f %d" % (s["throughput_rps"], l["p50"]/1e3, l["p90"]/1e3,
      l["p99"]/1e3, l["p99.9"]/1e3, s["failed"] + s.get("unsent", 0)))' "$1"
}

echo "# $(date -u +%FT%TZ) $(uname -n) $(nproc) cores, backend $BACKEND, image $(basename "$IMAGE")"
echo "# closed loop: -c $CONC for ${DUR}s; open loop: Poisson -r $RATE for ${DUR}s; warm-up ${WARM}s each"
echo
echo "| max_batch_size | max_queue_delay_us | closed req/s | closed p50 ms | closed p99 ms | closed mean batch | open p50 ms | open p90 ms | open p99 ms | open p99.9 ms | open mean batch | failed |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for b in $BATCHES; do
  for d in $DELAYS; do
    rm -f "$tmp/port"
    "$BIN" serve --host 127.0.0.1 --port 0 --port-file "$tmp/port" --backend "$BACKEND" \
      --model "$MODEL" --max-batch-size "$b" --max-queue-delay-us "$d" --log-level warn \
      2> "$tmp/daemon.log" &
    pid=$!
    for _ in $(seq 600); do [[ -s $tmp/port ]] && break; sleep 0.1; done
    port=$(cat "$tmp/port")
    url="http://127.0.0.1:$port"
    for _ in $(seq 600); do
      curl -fs -o /dev/null "$url/v2/health/ready" && break
      sleep 0.1
    done
    metric() { curl -fs "$url/metrics" | awk -v m="$1" '$1 ~ "^"m"[{]" {s+=$2} END {print s+0}'; }
    e0=$(metric nv_inference_exec_count); i0=$(metric nv_inference_count)
    "$BIN" loadgen -q -c "$CONC" -d "$DUR" --warmup "$WARM" -i "$IMAGE" --json "$tmp/closed.json" "$url"
    e1=$(metric nv_inference_exec_count); i1=$(metric nv_inference_count)
    "$BIN" loadgen -q -r "$RATE" -c 64 -d "$DUR" --warmup "$WARM" -i "$IMAGE" --seed 1 \
      --json "$tmp/open.json" "$url"
    e2=$(metric nv_inference_exec_count); i2=$(metric nv_inference_count)
    read -r crps cp50 _ cp99 _ cfail < <(summary "$tmp/closed.json")
    read -r _ op50 op90 op99 op999 ofail < <(summary "$tmp/open.json")
    cmb=$(python3 -c "e=$e1-$e0; print('%.2f' % (($i1-$i0)/e) if e else '-')")
    omb=$(python3 -c "e=$e2-$e1; print('%.2f' % (($i2-$i1)/e) if e else '-')")
    echo "| $b | $d | $crps | $cp50 | $cp99 | $cmb | $op50 | $op90 | $op99 | $op999 | $omb | $((cfail + ofail)) |"
    kill "$pid"
    wait "$pid" || true
    pid=
  done
done
