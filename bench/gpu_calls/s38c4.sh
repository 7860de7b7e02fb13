#!/usr/bin/env bash
# Session 38 call 4 (branch se-mma): se_mma.cu in 512 threads (16 warps) with its index
# divisions by small_div, after s38c3's profile (2 100 instructions a warp, 69 % of the cycles
# with no eligible warp). Same binary, three sides, two rounds: R = the rule (BLOCKFUSE_CUDA_SEMMA
# unset), A = =all (wherever it fits, every batch), N = =0 (main's SE launches), at 1, 8, 64, 256
# with every block's µs at 256, 64 and 8; before them test_se_mma alone, every kernel test and the
# networks against the CPU backend; after them memcheck and racecheck of test_se_mma and Nsight
# Compute's durations of the SE launches at 256 with A.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
BLOCKFUSE_TEST_FILTER=test_se_mma timeout 120 .gpu/bin/gpu_kernels_test >"$OUT/k_semma.log" 2>&1
echo "test_se_mma alone rc=$? $(grep -c 'rel err' "$OUT/k_semma.log") checks"
grep -q "PASSED" "$OUT/k_semma.log" || { tail -30 "$OUT/k_semma.log"; exit 1; }
KTIMEOUT=150 NTIMEOUT=90 . bench/gpu_calls/checks.sh
grep " semma " "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1 | sed "s/^/semma checks max rel err /"
for r in "" 2; do for side in R$r A$r N$r; do
  case $side in R*) x=1 ;; A*) x=all ;; N*) x=0 ;; esac
  env BLOCKFUSE_CUDA_SEMMA=$x timeout 100 .gpu/bin/gpu_bench $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side rc=$?"
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  for b in 256 64 8; do
    echo "$side $b: $(awk '$0 ~ "per-block roofline, batch '$b' " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side.txt")"
  done
done; done
grep -c semma "$OUT/ab_R.txt" "$OUT/ab_A.txt"
SAN_TESTS=test_se_mma SAN_TIMEOUT=100 . bench/gpu_calls/sanitize.sh
BLOCKFUSE_CUDA_SEMMA=all timeout 120 ncu --profile-from-start off --cache-control none --clock-control none \
  -k "regex:se_" --section SpeedOfLight .gpu/bin/gpu_bench "$M" --batches 256 --ncu-batch 256 >"$OUT/ncu_se_256.txt" 2>&1
echo "ncu se batch 256 all rc=$?"
python3 bench/ncu_table.py "$OUT/ncu_se_256.txt" | cut -c1-100 | head -24
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
