#!/usr/bin/env bash
# proto/inference.proto compiles with protoc and declares the Open Inference
# Protocol's GRPCInferenceService with the six RPCs the REST API mirrors.
set -euo pipefail
P="${TEST_SRCDIR:-$PWD/..}/blockfuse/proto/inference.proto"
OUT="${TEST_TMPDIR:-$(mktemp -d)}/inference.desc"
protoc --proto_path="$(dirname "$P")" --descriptor_set_out="$OUT" "$P"
[[ -s "$OUT" ]] || { echo "FAIL: protoc wrote no descriptor"; exit 1; }
grep -q '^service GRPCInferenceService {' "$P" || { echo "FAIL: no GRPCInferenceService"; exit 1; }
for rpc in ServerLive ServerReady ModelReady ServerMetadata ModelMetadata ModelInfer; do
  grep -Eq "^ *rpc $rpc\(${rpc}Request\) returns \(${rpc}Response\)" "$P" ||
    { echo "FAIL: rpc $rpc missing"; exit 1; }
done
echo "1 passed, 0 failed"
