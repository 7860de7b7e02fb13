#!/usr/bin/env bash
# Session 21 call 2: the stem's instructions. The tensor-core stems' swish epilogue on the fp16
# pair (swish_h2_halved: 3 instructions for two values, against 2 MUFU, 2 FFMA and a pack), the
# band kernel's pixels stepped by a cursor instead of a float division per pixel row (tile loop)
# and per pixel (normalisation), and the normalisation as one FMA per channel. Kernel and
# network tests, memcheck and racecheck of test_stem; A = 5ac52eb (gpu_bench_base), B = this
# build, two rounds each; then Nsight Compute on B's stem and on stack0.block0's pass 2 (the
# first pixel_gemm_stream_kernel launch) at 256.
TTIMEOUT=300 MEMCHECK="test_stem" RACECHECK="test_stem" MTIMEOUT=200 RTIMEOUT=200 \
  PLANS="(stem|stack0.block0) bucket 256 .*" PLANS_FROM=B \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -E "^stem" "$OUT/gpu_kernels_test.log" | cut -c1-150
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in A1 B1 A2 B2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
for f in A1 B1 A2 B2; do
  echo "$f stem us by batch: $(awk '/per-block roofline, batch/{b=$4} /^stem /{printf "%s%s ", b, $5}' "$OUT/ab_$f.txt")"
done
rm -f "$OUT"/san_*.log
[ $rc = 0 ] || exit $rc
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
. bench/gpu_calls/prof.sh
prof stem "stem_band_kernel" 0
prof p2s0 "pixel_gemm_stream_kernel" 0
rm -f "$OUT"/raw_*.csv "$OUT"/sass_*.csv.xz
date -u +%FT%TZ
