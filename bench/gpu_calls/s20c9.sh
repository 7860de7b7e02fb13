#!/usr/bin/env bash
# Session 20 call 9: the review's refactor: the strips' tile rule (width a multiple of 7, with
# two rows an even height) as one host-and-device helper, cuda_dwstrips_cover(), which both
# cuda_mbconv_dwstrips_ok() and the kernel's dw_strips_ok() call (the two 128-register PASS1
# builds' PTX changed in how the per-chunk condition branches; registers and spills as
# before). Kernel and network tests, memcheck and racecheck of test_mbconv_strips; A =
# 0444841 (gpu_bench_base), B = the refactor, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_strips" RACECHECK="test_mbconv_strips" MTIMEOUT=200 RTIMEOUT=200 \
  PLANS="stack[0-9].block[0-9] bucket 256 +\[pass1[^]]*\]" PLANS_FROM=B \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -E "strips" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in A1 B1 A2 B2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
rm -f "$OUT"/san_*.log
exit $rc
