#!/usr/bin/env bash
# Sourced by the A/B calls of a kernel form the tuner offers behind an environment switch
# (xsplit_ab.sh: BLOCKFUSE_CUDA_XSPLIT, the twenty-ninth session; wgx_ab.sh:
# BLOCKFUSE_CUDA_WGX, the thirty-fourth): on the GPU host, repo root, .gpu/ carried.
# Set AB_ENV (the switch), AB_TEST (its gpu_kernels_test test) and AB_TAG (the word the test's
# lines, the plans and the tuner's lines carry).
#   1. unpack; AB_TEST alone first ($AB_TIMEOUT s, 60 by default: a hang ends the call early), then the kernel tests
#      and gpu_backend_test (checks.sh); AB_TEST's checks' largest rel err and their count;
#   2. two rounds of W ($AB_ENV=1) and N (=0, the same binary) at 1, 8, 64, 256 with the
#      tuner's log: create() s, graph and kernels ms, every block's µs at 256; the plans that
#      took it and the tuner's lines of it at 256;
#   3. memcheck and racecheck of AB_TEST;
#   4. with NCU_RE set: Nsight Compute (speed of light, launch, occupancy) over the profiled
#      run at 256 with $AB_ENV=force, the launches matching NCU_RE.
# Logs: $OUT/k.log, $OUT/net.log, $OUT/ab_<W|N><""|2>.txt, $OUT/ncu_force.txt.
. bench/gpu_calls/setup.sh
BLOCKFUSE_TEST_FILTER=$AB_TEST timeout "${AB_TIMEOUT:-60}" .gpu/bin/gpu_kernels_test >"$OUT/k_$AB_TAG.log" 2>&1
echo "$AB_TEST alone rc=$? $(grep -c 'rel err' "$OUT/k_$AB_TAG.log") checks"
grep -q "PASSED" "$OUT/k_$AB_TAG.log" || { tail -30 "$OUT/k_$AB_TAG.log"; exit 1; }
KTIMEOUT=150 NTIMEOUT=90 . bench/gpu_calls/checks.sh
grep -E " $AB_TAG " "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1 | sed "s/^/$AB_TAG checks max rel err /"
grep -c " $AB_TAG " "$OUT/k.log"
date -u +%FT%TZ
for r in "" 2; do for side in W$r N$r; do
  x=1
  case $side in N*) x=0 ;; esac
  env "$AB_ENV=$x" BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 100 .gpu/bin/gpu_bench $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side rc=$? $(grep -m1 -o 'create [0-9.]* s' "$OUT/ab_$side.txt")"
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  echo "$side 256: $(awk '$0 ~ "per-block roofline, batch 256 " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side.txt")"
done; done
grep -E "$AB_TAG" "$OUT/ab_W.txt" | grep -v "^tune" | head -40
grep -E "^tune .* batch (64|256): pass1 $AB_TAG" "$OUT/ab_W.txt" | head -60
date -u +%FT%TZ
SAN_TESTS=$AB_TEST SAN_TIMEOUT=100 . bench/gpu_calls/sanitize.sh
date -u +%FT%TZ
if [ -n "${NCU_RE:-}" ]; then
  env "$AB_ENV=force" timeout 150 ncu --profile-from-start off --cache-control none --clock-control none \
    -k "regex:$NCU_RE" --section SpeedOfLight --section LaunchStats --section Occupancy \
    .gpu/bin/gpu_bench "$M" --batches 256 --ncu-batch 256 >"$OUT/ncu_force.txt" 2>&1
  echo "ncu rc=$?"
  python3 bench/ncu_table.py "$OUT/ncu_force.txt" | cut -c1-150
  date -u +%FT%TZ
fi
