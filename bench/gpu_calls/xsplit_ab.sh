#!/usr/bin/env bash
# Sourced by the twenty-ninth session's xsplit calls (s29c1, s29c3, s29c4; the same commands
# each had inline): on the GPU host, repo root, .gpu/ carried (branch xsplit's build).
#   1. unpack; the kernel tests and gpu_backend_test (checks.sh); xsplit's checks' largest
#      rel err and their count;
#   2. two rounds of W (BLOCKFUSE_CUDA_XSPLIT=1) and N (=0, the same binary) at 1, 8, 64, 256
#      with the tuner's log: create() s, graph and kernels ms, every block's µs at 256; the
#      plans that took xsplit and the tuner's xsplit lines at 256;
#   3. memcheck and racecheck of test_mbconv_xsplit;
#   4. with NCU_RE set: Nsight Compute (speed of light, launch, occupancy) over the profiled
#      run at 256 with BLOCKFUSE_CUDA_XSPLIT=force, the launches matching NCU_RE.
# Logs: $OUT/k.log, $OUT/net.log, $OUT/ab_<W|N><""|2>.txt, $OUT/ncu_xforce.txt.
. bench/gpu_calls/setup.sh
KTIMEOUT=150 NTIMEOUT=90 . bench/gpu_calls/checks.sh
grep -E "xsplit" "$OUT/k.log" | awk '{print $NF}' | sort -g | tail -1 | sed 's/^/xsplit checks max rel err /'
grep -c "xsplit" "$OUT/k.log"
date -u +%FT%TZ
for r in "" 2; do for side in W$r N$r; do
  x=1
  case $side in N*) x=0 ;; esac
  BLOCKFUSE_CUDA_XSPLIT=$x BLOCKFUSE_CUDA_TUNE_LOG=1 timeout 100 .gpu/bin/gpu_bench $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side rc=$? $(grep -m1 -o 'create [0-9.]* s' "$OUT/ab_$side.txt")"
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  echo "$side 256: $(awk '$0 ~ "per-block roofline, batch 256 " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side.txt")"
done; done
grep -E "xsplit" "$OUT/ab_W.txt" | grep -v "^tune" | head -40
grep -E "^tune .* batch 256: pass1 xsplit" "$OUT/ab_W.txt" | head -60
date -u +%FT%TZ
for t in memcheck racecheck; do
  BLOCKFUSE_TEST_FILTER=test_mbconv_xsplit timeout 100 compute-sanitizer --tool $t \
    --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san.log 2>&1
  echo "$t xsplit rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' /tmp/san.log | tail -1), $(grep -c 'rel err' /tmp/san.log) checks"
done
date -u +%FT%TZ
if [ -n "${NCU_RE:-}" ]; then
  BLOCKFUSE_CUDA_XSPLIT=force timeout 150 ncu --profile-from-start off --cache-control none --clock-control none \
    -k "regex:$NCU_RE" --section SpeedOfLight --section LaunchStats --section Occupancy \
    .gpu/bin/gpu_bench "$M" --batches 256 --ncu-batch 256 >"$OUT/ncu_xforce.txt" 2>&1
  echo "ncu rc=$?"
  python3 bench/ncu_table.py "$OUT/ncu_xforce.txt" | cut -c1-150
  date -u +%FT%TZ
fi
