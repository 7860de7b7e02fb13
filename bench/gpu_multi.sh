#!/usr/bin/env bash
# The cuda backend on several GPUs of one host (issue #4: "every visible GPU
# is used"), on the GPU host from the repo root with .gpu/ staged by
# `bench/gpu_bench.sh stage` and carried:
#   1. gpu_bench alone on each GPU, then on all of them at once (batch 256):
#      the devices are independent, so the aggregate should scale;
#   2. `blockfuse serve --backend cuda` on GPU 1 alone (--gpus 1): a photo
#      gets the right top-1 from the second GPU;
#   3. the daemon on every GPU (the default): many photos classified right,
#      a profile on every device in /metrics, the efficiency route per device
#      (?device=N: 200 for each GPU, 404 past them);
#   4. (LOAD=1) loadgen against --gpus 0 and against all GPUs (uint8 tensors).
# ITERS (default 50) sets gpu_bench's replays. Logs and a summary go to $OUT
# (default /tmp/blockfuse-gpu); exit 1 on any failed check.
set -u
bench/gpu_bench.sh unpack || exit 1 # the staged binaries travel packed
OUT=${OUT:-/tmp/blockfuse-gpu}
mkdir -p "$OUT"
BF=.gpu/runfiles/blockfuse/server/blockfuse
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
IMG=.gpu/runfiles/efficientnet_b0_tfjs
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
ok=1
fail() { echo "FAIL: $*"; ok=0; }
nvidia-smi -L | tee "$OUT/gpus.txt"
date -u +%FT%TZ | tee -a "$OUT/gpus.txt"
n=$(nvidia-smi -L | wc -l)
[ "$n" -ge 2 ] || { echo "needs 2+ GPUs, found $n"; exit 1; }

echo "== 1. gpu_bench batch 256, each GPU alone, then all at once"
for d in $(seq 0 $((n - 1))); do
  .gpu/bin/gpu_bench "$M" --device "$d" --batches 256 --iters "${ITERS:-50}" >"$OUT/bench_alone_$d.txt" 2>&1 ||
    fail "gpu_bench device $d"
  echo "device $d alone: $(awk '$1 == 256 {print $6 " ms graph, " $7 " img/s"; exit}' "$OUT/bench_alone_$d.txt")"
done
pids=""
for d in $(seq 0 $((n - 1))); do
  .gpu/bin/gpu_bench "$M" --device "$d" --batches 256 --iters "${ITERS:-50}" >"$OUT/bench_all_$d.txt" 2>&1 &
  pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "concurrent gpu_bench"; done
for d in $(seq 0 $((n - 1))); do
  echo "device $d with the others busy: $(awk '$1 == 256 {print $6 " ms graph, " $7 " img/s"; exit}' "$OUT/bench_all_$d.txt")"
done

serve() { # $1 = log name, rest = extra serve flags; sets url, spid
  local log=$1
  shift
  rm -f /tmp/bf.port
  "$BF" serve --backend cuda --model "$M" --port 0 --port-file /tmp/bf.port --executors 2 \
    --max-batch-size 64 --profile-every 4 --log-level info "$@" >"$OUT/$log.log" 2>&1 &
  spid=$!
  for _ in $(seq 1 600); do [ -s /tmp/bf.port ] && break; sleep 0.1; done
  url=http://127.0.0.1:$(cat /tmp/bf.port 2>/dev/null)
  for _ in $(seq 1 600); do curl -sf "$url/v2/health/ready" >/dev/null && return 0; sleep 0.1; done
  fail "serve $* did not become ready"
  tail -5 "$OUT/$log.log"
  return 1
}
stop() { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; }
classify() { # $1 = image; prints the /v1/classify reply (top_k=1)
  curl -s -H 'Content-Type: image/jpeg' --data-binary @"$1" "$url/v1/classify?top_k=1"
}
label_of() { # a /v1/classify reply on stdin -> its top-1 label (the reply itself if none)
  python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["predictions"][0]["top_k"][0]["label"] if "predictions" in r else r)'
}
top1() { classify "$1" | label_of; }
pick() { # $1 = request number -> f, want: panda and car photos by turns
  f=panda.jpg want="giant panda"
  if [ $(($1 % 2)) = 0 ]; then f=car.jpg want="sports car"; fi
}

echo "== 2. serve --gpus 1"
if serve serve_gpu1 --gpus 1; then
  p=$(top1 "$IMG/panda.jpg")
  echo "panda on GPU 1: $p"
  case "$p" in "giant panda"*) ;; *) fail "panda on GPU 1: $p" ;; esac
  curl -s "$url/metrics" | grep -E '^blockfuse_backend_peak_flops_per_second' | tee "$OUT/gpu1_peaks.txt"
  grep -q 'device="1"' "$OUT/gpu1_peaks.txt" || fail "no device=\"1\" series with --gpus 1"
  stop
fi

echo "== 3. serve on every GPU"
if serve serve_all; then
  bad=0
  # 64 concurrent requests (batched across both GPUs), each answer checked;
  # wait on the curls' own pids: a bare `wait` would also wait for the daemon
  cpids=""
  for i in $(seq 1 64); do
    pick "$i"
    classify "$IMG/$f" >"$OUT/r_$i.json" &
    cpids="$cpids $!"
  done
  for p in $cpids; do wait "$p"; done
  for i in $(seq 1 64); do
    pick "$i"
    p=$(label_of <"$OUT/r_$i.json")
    case "$p" in "$want"*) ;; *) bad=$((bad + 1)) ;; esac
  done
  rm -f "$OUT"/r_*.json
  echo "concurrent answers wrong: $bad of 64"
  # then a sequential pass
  for i in $(seq 1 40); do
    pick "$i"
    p=$(top1 "$IMG/$f")
    case "$p" in "$want"*) ;; *) bad=$((bad + 1)) ;; esac
  done
  echo "answers wrong, concurrent and sequential: $bad of 104"
  [ "$bad" = 0 ] || fail "$bad wrong answers on all GPUs"
  "$BF" loadgen -c 64 --warmup 1 -d 5 --api v2-binary --tensor uint8 "$url" >"$OUT/warm.txt" 2>&1
  curl -s "$url/metrics" >"$OUT/metrics_all.txt"
  grep -E '^blockfuse_block_profile_batch|^blockfuse_backend_peak' "$OUT/metrics_all.txt"
  for d in $(seq 0 $((n - 1))); do
    grep -qE "^blockfuse_block_profile_batch\{.*device=\"$d\".*\} [1-9]" "$OUT/metrics_all.txt" ||
      fail "no profile on device $d"
    c=$(curl -s -o "$OUT/eff_$d.json" -w '%{http_code}' "$url/v2/models/efficientnet_b0/efficiency?device=$d")
    echo "efficiency ?device=$d: HTTP $c, device $(python3 -c "import json; print(json.load(open('$OUT/eff_$d.json')).get('device'))")"
    [ "$c" = 200 ] || fail "efficiency ?device=$d: $c"
  done
  c=$(curl -s -o "$OUT/eff_past.json" -w '%{http_code}' "$url/v2/models/efficientnet_b0/efficiency?device=$n")
  echo "efficiency ?device=$n: HTTP $c $(cat "$OUT/eff_past.json")"
  [ "$c" = 404 ] || fail "efficiency ?device=$n: $c, want 404"
  stop
fi

[ "${LOAD:-1}" = 1 ] && echo "== 4. loadgen, uint8 tensors, 128 connections: GPU 0 alone, then every GPU"
for g in 0 all; do
  [ "${LOAD:-1}" = 1 ] || break
  if serve "serve_load_$g" --gpus "$g"; then
    "$BF" loadgen -c 128 --warmup 2 -d 10 --api v2-binary --tensor uint8 "$url" >"$OUT/load_$g.txt" 2>&1
    echo "--gpus $g: $(grep -E '^(requests|throughput|latency|  +p50)' "$OUT/load_$g.txt" | tr -s ' ' | tr '\n' ' ')"
    stop
  fi
done
if [ "$ok" != 1 ]; then
  echo "SOME CHECKS FAILED"
  exit 1
fi
echo "ALL CHECKS PASSED"
