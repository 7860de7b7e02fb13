#!/usr/bin/env bash
# Sourced by a session's final run (s34c8, s35c4) on the GPU host, repo root, .gpu/ carried with
# the daemon (blockfuse.xz) and without gpu_kernels_test: the network against the CPU backend
# (gpu_backend_test), EfficientNet-B0 in gpu_bench at batches 1, 8, 64 and 256 (the per-block
# table), timm efficientnet_b0 (torch_baseline.py) in the same call, then the daemon on the cuda
# backend under loadgen and its integration tests (bench/gpu_bench.sh run, PHASES=serve,servetest).
# CONC=N adds gpu_bench's N instances at once at 64 and 256 ($OUT/c2.log), and TORCH_STREAMS=N
# the baseline's N CUDA streams at 64 and 256 (400 s for it then, else 330), and SERVE=0 leaves
# the daemon out (s39c3: CONC=2 TORCH_STREAMS=2 SERVE=0).
# Logs: $OUT/net.log, $OUT/b0.log, $OUT/torch_b0.log, $OUT/run.log.
. bench/gpu_calls/setup.sh
timeout 150 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -20 "$OUT/net.log"; exit 1; }
grep -E "logits rel err" "$OUT/net.log" | head -2
timeout 150 .gpu/bin/gpu_bench "$M" --batches 1,8,64,256 --iters 100 >"$OUT/b0.log" 2>&1
echo "gpu_bench b0 rc=$?"
sed -n 1,12p "$OUT/b0.log"
awk '$0 ~ "per-block roofline, batch 256 " {p=1} p' "$OUT/b0.log" | head -26
if [ "${CONC:-0}" -ge 2 ]; then
  timeout 120 .gpu/bin/gpu_bench "$M" --batches 64,256 --iters 50 --concurrent "$CONC" >"$OUT/c2.log" 2>&1
  echo "gpu_bench concurrent rc=$?"
  awk '/instances at once/{p=1} p&&/^$/{exit} p' "$OUT/c2.log"
fi
date -u +%FT%TZ
targs=() tlimit=330
[ "${TORCH_STREAMS:-0}" -ge 2 ] && targs=(--streams "$TORCH_STREAMS") tlimit=400
timeout "$tlimit" python3 .gpu/torch_baseline.py --batches 1,8,64,256 --iters 50 "${targs[@]}" \
  >"$OUT/torch_b0.log" 2>&1
echo "torch rc=$?"
grep -v -i "warn" "$OUT/torch_b0.log" | tail -24
date -u +%FT%TZ
if [ "${SERVE:-1}" != 0 ]; then
  serve_run 200
fi
