#!/usr/bin/env bash
# Session 38 call 2 (branch se-mma): se_mma.cu after s38c1, its latency cut: the channel means
# by up to 32 threads per (image, 4 channels) over the tiles, and the peers' parts of the reduce
# FC loaded all at once. As s38c1 (env_ab.sh with BLOCKFUSE_CUDA_SEMMA, the same binary both
# sides), plus every block's µs at 64 and 8, and Nsight Compute's durations of the SE launches at
# 256 and 64 with it. The logs come back as one archive (at most 8 files come back).
exec > >(tee "$OUT/summary.txt") 2>&1
AB_ENV=BLOCKFUSE_CUDA_SEMMA AB_TEST=test_se_mma AB_TAG=semma AB_TIMEOUT=120 . bench/gpu_calls/env_ab.sh
for b in 64 8; do for side in W N W2 N2; do
  echo "$side $b: $(awk '$0 ~ "per-block roofline, batch '$b' " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side.txt")"
done; done
for b in 256 64; do
  timeout 120 ncu --profile-from-start off --cache-control none --clock-control none \
    -k "regex:se_" --section SpeedOfLight .gpu/bin/gpu_bench "$M" --batches $b --ncu-batch $b >"$OUT/ncu_se_$b.txt" 2>&1
  echo "ncu se batch $b rc=$?"
  python3 bench/ncu_table.py "$OUT/ncu_se_$b.txt" | cut -c1-100 | head -24
done
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
