#!/usr/bin/env bash
# Session 21 call 4: s21c3's build with dw_direct's strip (dd_strip, shared by PASS1's
# dw_direct_kernel and the recomputing pass 2's dw_proj_kernel) loading all (DD_RS - 1) S + 3
# input rows before the first FMA (the S = 2 builds lose their 8-12 bytes of spills; 128
# registers each). Kernel and network tests, memcheck and racecheck of test_mbconv_dwdirect;
# A = 5ac52eb (gpu_bench_base), B = this build with the tuner's log, two rounds each; the
# order of loads and FMAs in dw_direct_kernel<1, true>'s SASS.
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
export PATH="/usr/local/cuda/bin:$PATH"
cuobjdump -sass -fun '_ZN2bf16dw_direct_kernelILi1ELb1EEEv16cuda_mbconv_args' .gpu/bin/gpu_bench |
  grep -oE "(LDG|HFMA2|STG|BAR|SHFL)[.A-Z0-9]*" | uniq -c | head -40
exit $rc
