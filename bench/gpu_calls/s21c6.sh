#!/usr/bin/env bash
# Session 21 call 6: dw_direct's strips (PASS1 and dw_proj) walked by one helper (dd_walk), which
# hints L2 to fetch the next strip's input rows (prefetch.global.L2, one per row) before it
# reads the current one: s21c3/s21c4 showed the strips bound by their loads' latency (PASS1
# without the stage write as slow as with it). Kernel and network tests, memcheck and racecheck
# of test_mbconv_dwdirect; A = 697acce (gpu_bench_base), B = this build with the tuner's log,
# two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_dwdirect" RACECHECK="test_mbconv_dwdirect" MTIMEOUT=200 \
  RTIMEOUT=200 PLANS="stack0.block0 bucket [0-9]+ .*" PLANS_FROM=B \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_TUNE_LOG=1" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -E "dwdirect" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in A1 B1 A2 B2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
for f in A1 B1 A2 B2; do
  echo "$f stack0.block0 us by batch: $(awk '/per-block roofline, batch/{b=$4} /^stack0.block0 /{printf "%s:%s ", b, $5}' "$OUT/ab_$f.txt")"
done
grep -E "^tune stack0.block0 batch (8|64|256): (pass[12] dwdirect|pass-2 gemm .*stream)" "$OUT/ab_B1.txt" | head -80
rm -f "$OUT"/san_*.log
exit $rc
