#!/usr/bin/env bash
# Session 34 call 9: s34c7's A/B and sanitizers on the build whose wgx kernel also takes stride 2
# (EfficientNet's 14x14 -> 7x7 block: two expand warpgroups over the input's m-tiles, the frame
# of the input pixels the 7x7 outputs read), test_mbconv_wgx with three stride-2 cases; then
# timm efficientnet_b0 (torch_baseline.py) in the same call, for issue #4's targets against W's
# tables. The commands: bench/gpu_calls/env_ab.sh.
exec > >(tee "$OUT/summary.txt") 2>&1
AB_ENV=BLOCKFUSE_CUDA_WGX AB_TEST=test_mbconv_wgx AB_TAG=wgx . bench/gpu_calls/env_ab.sh
grep -E "^stack5\.block0 bucket" "$OUT/ab_W.txt"
grep -E "^tune stack5\.block0 batch (64|256): pass1 (wgx|tile .*ranked)" "$OUT/ab_W.txt" | head -12
awk '$0 ~ "per-block roofline, batch 256 " {p=1} p' "$OUT/ab_W.txt" | head -24
timeout 330 python3 .gpu/torch_baseline.py --batches 1,8,64,256 --iters 50 >"$OUT/torch_b0.log" 2>&1
echo "torch rc=$?"
grep -v -i "warn" "$OUT/torch_b0.log" | tail -14
date -u +%FT%TZ
