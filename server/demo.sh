#!/usr/bin/env bash
# `./bazelw run //:demo`: classifies the two photos that ship with the default
# model (a giant panda and a sports car) with the built-in EfficientNet-B0, so
# a fresh checkout shows the whole path (decode, resize, network, labels) in
# one command. Extra arguments go to `blockfuse classify` (e.g. --backend cpu).
set -euo pipefail
r=${RUNFILES_DIR:-$0.runfiles}
exec "$r/blockfuse/server/blockfuse" classify --top-k 3 --model "$r/blockfuse/models/efficientnet_b0" \
  "$@" "$r/efficientnet_b0_tfjs/panda.jpg" "$r/efficientnet_b0_tfjs/car.jpg"
