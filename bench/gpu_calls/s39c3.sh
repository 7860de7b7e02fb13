#!/usr/bin/env bash
# Session 39 call 3, the final run (main after the chunks were removed; the daemon staged,
# gpu_kernels_test left out for the carry limit): the network against the CPU backend
# (gpu_backend_test), EfficientNet-B0 in gpu_bench at batches 1, 8, 64 and 256 (the per-block
# table) and two instances at once at 64 and 256 (--concurrent 2), timm efficientnet_b0
# (torch_baseline.py) in the same call, alone and on two CUDA streams at 64 and 256. The
# daemon's serving path did not change this session, so its load test is left out.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
timeout 150 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -20 "$OUT/net.log"; exit 1; }
grep -E "logits rel err" "$OUT/net.log" | head -2
timeout 150 .gpu/bin/gpu_bench "$M" --batches 1,8,64,256 --iters 100 >"$OUT/b0.log" 2>&1
echo "gpu_bench b0 rc=$?"
sed -n 1,12p "$OUT/b0.log"
awk '$0 ~ "per-block roofline, batch 256 " {p=1} p' "$OUT/b0.log" | head -26
timeout 120 .gpu/bin/gpu_bench "$M" --batches 64,256 --iters 50 --concurrent 2 >"$OUT/c2.log" 2>&1
echo "gpu_bench concurrent rc=$?"
awk '/instances at once/{p=1} p&&/^$/{exit} p' "$OUT/c2.log"
date -u +%FT%TZ
timeout 400 python3 .gpu/torch_baseline.py --batches 1,8,64,256 --iters 50 --streams 2 >"$OUT/torch_b0.log" 2>&1
echo "torch rc=$?"
grep -v -i "warn" "$OUT/torch_b0.log" | tail -24
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
