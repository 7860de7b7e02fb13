#!/usr/bin/env bash
# Session 21 call 1: dw_direct.cu (PASS1 of stack0.block0, the block without expansion) with
# its channel sums reduced by shuffles (one barrier, at most 8 rows in shared memory, instead
# of one row per slot summed by 32 threads), and the tuner timing it also on larger tiles
# (16x32, 32x32, 8/16/32 whole rows). Kernel and network tests (test_mbconv_dwdirect adds
# tiles of whole rows), memcheck and racecheck of test_mbconv_dwdirect; A = d6113a9
# (gpu_bench_base), B = this build with the tuner's log, two rounds each; then Nsight Compute
# on B's stem (stem_band_kernel) and dw_direct launches at 256.
TTIMEOUT=300 MEMCHECK="test_mbconv_dwdirect" RACECHECK="test_mbconv_dwdirect" MTIMEOUT=200 \
  RTIMEOUT=200 PLANS="(stem|stack0.block0) bucket 256 .*" PLANS_FROM=B \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_TUNE_LOG=1" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -E "dwdirect" "$OUT/gpu_kernels_test.log" | cut -c1-150
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in A1 B1 A2 B2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
grep -E "^tune stack0.block0 batch (64|256): pass1 (dwdirect|tile 16x16 cc 32 dwrows 0: [0-9.]+ us \(ranked)" \
  "$OUT/ab_B1.txt" | head -20
rm -f "$OUT"/san_*.log
[ $rc = 0 ] || exit $rc
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
. bench/gpu_calls/prof.sh
prof stem "stem_band_kernel" 0
prof dwd "dw_direct_kernel" 0
date -u +%FT%TZ
