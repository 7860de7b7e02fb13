#!/usr/bin/env bash
# Session 38 call 3 (branch se-mma): se_mma.cu behind its rule (cuda_se_mma_ok: the 1152 x 48
# blocks from batch 8, down to 672 x 28 from 64). env_ab.sh with BLOCKFUSE_CUDA_SEMMA (W = 1,
# the rule; N = 0, main's SE launches; the same binary), every block's µs at 64 and 8, then
# Nsight Compute's full set on one launch of it (stack5.block1 at 256, the fifth se_mma launch
# there), its details and its SASS with the stall samples per instruction.
exec > >(tee "$OUT/summary.txt") 2>&1
AB_ENV=BLOCKFUSE_CUDA_SEMMA AB_TEST=test_se_mma AB_TAG=semma AB_TIMEOUT=120 . bench/gpu_calls/env_ab.sh
for b in 64 8; do for side in W N W2 N2; do
  echo "$side $b: $(awk '$0 ~ "per-block roofline, batch '$b' " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side.txt")"
done; done
timeout 200 ncu --profile-from-start off --cache-control none --clock-control none --set full \
  --import-source no -k "regex:se_mma" --launch-skip 4 --launch-count 1 -o "$OUT/semma" \
  .gpu/bin/gpu_bench "$M" --batches 256 --ncu-batch 256 >"$OUT/ncu_full.txt" 2>&1
echo "ncu full rc=$?"
ncu -i "$OUT/semma.ncu-rep" --page details >"$OUT/ncu_details.txt" 2>&1
ncu -i "$OUT/semma.ncu-rep" --page source --print-source sass >"$OUT/ncu_sass.txt" 2>&1
grep -E "Duration|Executed Ipc A|Warp Cycles Per Issued|Achieved Occupancy|Registers Per|Block Limit|No Eligible|Issued Warp" "$OUT/ncu_details.txt" | head -20
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
