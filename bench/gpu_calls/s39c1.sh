#!/usr/bin/env bash
# Session 39 call 1: the squeeze-excite blocks in chunks of images (tune_chunks: B / 2, B / 4 or
# B / 8 images at a time with that bucket's plan, so that a chunk's stage stays in L2 between
# its passes), and the review's kernel mend (se_batch.cu's halving exchange now
# mbconv_parts.cuh's warp_halve_sums, shared with the head's epilogue). First every kernel test
# and gpu_backend_test (test_chunks: BLOCKFUSE_CUDA_CHUNK=2 against the CPU backend); then the
# same binary, sides T (the tuner), N (BLOCKFUSE_CUDA_CHUNK=0), F32 / F64 / F128 (chunks of
# that many forced) at 1, 8, 64, 256 with every block's µs at 256 and 64, T and N twice; the
# tuner's chunk lines and the plans that took chunks; memcheck and racecheck of test_mbconv_se
# and test_head.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
KTIMEOUT=150 NTIMEOUT=120 . bench/gpu_calls/checks.sh
grep -E "chunks of 2|test_chunks" "$OUT/net.log" | head -8
date -u +%FT%TZ
for side in T N F32 F64 F128 T2 N2; do
  case $side in T*) x= ;; N*) x=0 ;; F*) x=${side#F} ;; esac
  env BLOCKFUSE_CUDA_CHUNK=$x BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 110 .gpu/bin/gpu_bench $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side rc=$? $(grep -m1 -o 'create [0-9.]* s' "$OUT/ab_$side.txt")"
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  for b in 256 64; do
    echo "$side $b: $(awk '$0 ~ "per-block roofline, batch '$b' " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side.txt")"
  done
done
grep "chunks of" "$OUT/ab_T.txt" | grep "^blockfuse" | head -60
grep "chunks of" "$OUT/ab_T.txt" | grep -v "^blockfuse" | cut -c1-60 | head -40
date -u +%FT%TZ
SAN_TESTS="test_mbconv_se test_head" SAN_TIMEOUT=150 . bench/gpu_calls/sanitize.sh
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
