#!/usr/bin/env bash
# Session 21 call 3: the recomputing pass 2 of a block without expansion by dw_direct's strips
# (dw_proj_kernel: the depthwise conv again, act and SE gate into shared memory, then the
# projection on tensor cores), so that the tuner can time the recomputing variant (PASS1
# without the stage write, then dw_proj) against the staged one. Kernel and network tests
# (test_mbconv_dwdirect's recompute checks now run dw_proj, on the planner's tiles and on
# tiles of 16 whole rows), memcheck and racecheck of test_mbconv_dwdirect; A = 5ac52eb
# (gpu_bench_base), B = this build with the tuner's log, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_dwdirect" RACECHECK="test_mbconv_dwdirect" MTIMEOUT=200 \
  RTIMEOUT=200 PLANS="stack0.block0 bucket [0-9]+ .*" PLANS_FROM=B \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_TUNE_LOG=1" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -E "dwdirect" "$OUT/gpu_kernels_test.log" | cut -c1-150
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in A1 B1 A2 B2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
for f in A1 B1 A2 B2; do
  echo "$f stack0.block0 us by batch: $(awk '/per-block roofline, batch/{b=$4} /^stack0.block0 /{printf "%s:%s ", b, $5}' "$OUT/ab_$f.txt")"
done
grep -E "^tune stack0.block0 batch (8|64|256): (pass[12] dwdirect|pass-2 gemm .*stream)" "$OUT/ab_B1.txt" | head -60
rm -f "$OUT"/san_*.log
exit $rc
