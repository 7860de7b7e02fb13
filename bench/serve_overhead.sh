#!/usr/bin/env bash
# The serving path alone: `blockfuse serve` on the CPU backend with a tiny
# model (bench/tiny_model.c, ~1 MFLOP per image, the same 224x224x3 input and
# 1000 classes as EfficientNet-B0), loaded by `blockfuse loadgen` on loopback with binary
# uint8 tensors (150 KB bodies) and with panda.jpg (decode included).
# BIN / BASE name two blockfuse binaries to compare in the same run
# (default: the current build alone). Runs ROUNDS alternating rounds.
# Usage: bench/serve_overhead.sh   (BASE=/path/to/old/blockfuse to compare)
set -euo pipefail
cd "$(dirname "$0")/.."
./bazelw build //:blockfuse //bench:tiny_model //models:sample_images >&2
BIN=${BIN:-bazel-bin/server/blockfuse}
ROUNDS=${ROUNDS:-3}
TINY=$(mktemp -d)
bazel-bin/bench/tiny_model "$TINY"
JPG=$(find -L bazel-bin/ -path '*efficientnet_b0_tfjs/panda.jpg' | head -1)
echo "# $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
one() { # label binary
  local pf=$TINY/port
  rm -f "$pf"
  "$2" serve --backend cpu --model "$TINY" --port 0 --port-file "$pf" --max-batch-size 32 \
    --log-level warn 2>/dev/null &
  local s=$!
  for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.1; done
  local url=http://127.0.0.1:$(cat "$pf")
  for _ in $(seq 100); do curl -sf "$url/v2/health/ready" >/dev/null && break; sleep 0.1; done
  local u8 jpg
  u8=$("$BIN" loadgen -c 32 --warmup 1 -d 5 --api v2-binary --tensor uint8 --model tiny "$url" 2>&1 |
    awk '/throughput/ {t=$2} /p50/ {p=$2" "$3} END {print t" req/s, p50 "p}')
  jpg=$("$BIN" loadgen -c 32 --warmup 1 -d 5 --api v1 -i "$JPG" --model tiny "$url" 2>&1 |
    awk '/throughput/ {t=$2} /p50/ {p=$2" "$3} END {print t" req/s, p50 "p}')
  echo "$1: uint8 v2-binary $u8 | JPEG /v1 $jpg"
  kill "$s"
  wait "$s" || true
}
echo "\$ blockfuse loadgen -c 32 --warmup 1 -d 5 --api v2-binary --tensor uint8 --model tiny URL"
echo "\$ blockfuse loadgen -c 32 --warmup 1 -d 5 --api v1 -i panda.jpg --model tiny URL"
for r in $(seq "$ROUNDS"); do
  [ -n "${BASE:-}" ] && one "base (round $r)" "$BASE"
  one "this build (round $r)" "$BIN"
done
rm -rf "$TINY"
