#!/usr/bin/env bash
# Session 39 call 2 (branch chunks, the binary of s39c1): (1) whether smaller batches at once
# beat one batch of 256: gpu_bench --concurrent 2 at 64, 128, 256 and --concurrent 4 at 64
# (N instances, each its own stream and buffers, replaying their graphs at once; time per
# batch), beside the same binary's one instance at 64, 128, 256; (2) Nsight Compute's duration
# of every launch of one run at 256 (where the kernels' time goes now); (3) racecheck of
# test_mbconv_se (se_batch.cu's exchange now warp_halve_sums; s39c1's run of it timed out at
# 150 s).
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
for r in 1 2; do
  timeout 100 .gpu/bin/gpu_bench $M --batches 64,128,256 --iters 50 --concurrent 2 >"$OUT/c2_$r.txt" 2>&1
  echo "c2 round $r rc=$?"
  awk '/^ *batch /{p=1} p&&/^$/{exit} p' "$OUT/c2_$r.txt" | awk '{print $1, $6, $9}'
  awk '/instances at once/{p=1} p' "$OUT/c2_$r.txt"
done
timeout 100 .gpu/bin/gpu_bench $M --batches 32,64 --iters 50 --concurrent 4 >"$OUT/c4.txt" 2>&1
echo "c4 rc=$?"
awk '/instances at once/{p=1} p' "$OUT/c4.txt"
date -u +%FT%TZ
timeout 150 ncu --profile-from-start off --cache-control none --clock-control none \
  --section SpeedOfLight .gpu/bin/gpu_bench "$M" --batches 256 --ncu-batch 256 >"$OUT/ncu_256.txt" 2>&1
echo "ncu rc=$?"
python3 bench/ncu_table.py "$OUT/ncu_256.txt" | cut -c1-110
date -u +%FT%TZ
BLOCKFUSE_TEST_FILTER=test_mbconv_se timeout 300 compute-sanitizer --tool racecheck \
  --error-exitcode 9 .gpu/bin/gpu_kernels_test >"$OUT/race_se.log" 2>&1
echo "racecheck test_mbconv_se rc=$? $(grep -E 'RACECHECK SUMMARY' "$OUT/race_se.log" | tail -1) $(grep -c 'rel err' "$OUT/race_se.log") checks"
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
