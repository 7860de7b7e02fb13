#!/usr/bin/env bash
# Session 24 call 1: the narrow pass-2 GEMM with its bias in the registers (loaded once per
# warp) and A loaded past L1 (ld.global.nc.L1::no_allocate), s23c8's lead. Kernel and network
# tests, memcheck and racecheck of test_mbconv_narrow; A/B: W = this build, B = 1deebe2's
# gpu_bench (gpu_bench_base), two rounds; stack0.block0 at 256 and 64; Nsight Compute of the
# narrow kernel again.
TTIMEOUT=300 MEMCHECK="test_mbconv_narrow" RACECHECK="test_mbconv_narrow" MTIMEOUT=150 RTIMEOUT=150 \
  SIDES="W=.gpu/bin/gpu_bench B=.gpu/bin/gpu_bench_base" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in W1 B1 W2 B2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
  for b in 256 64; do
    echo "  $b: $(awk -v b=$b '$0 ~ "per-block roofline, batch " b "$" {p=1} p' "$OUT/ab_$f.txt" | grep -E "^ *(stem|stack0|stack1.block0)" | head -3 | awk '{printf "%s %s  ", $1, $5}')"
  done
done
rm -f "$OUT"/san_*.log "$OUT"/gpu_*_test.log "$OUT"/ab_*2.txt
[ $rc = 0 ] || exit $rc
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
. bench/gpu_calls/prof.sh
prof narrow "pixel_gemm_narrow_kernel" 0
grep -E "DRAM Throughput|L1/TEX Hit|Achieved Occupancy" "$OUT/det_narrow.txt" | cut -c1-120
rm -f "$OUT"/raw_*.csv "$OUT"/sass_*.xz
date -u +%FT%TZ
