#!/usr/bin/env bash
# The twenty-fourth session's narrow-GEMM A/B calls (s24c2-s24c4, s24c8, s24c9 name their
# change and run this): on the GPU host, repo root, .gpu/ carried with gpu_bench_base (1deebe2).
#   1. s9_ab.sh: the kernel and network tests, memcheck and racecheck of test_mbconv_narrow,
#      gpu_bench of W (this build) and B (gpu_bench_base), two rounds, both with the tuner's log;
#   2. the largest kernel-test error, the network's logits errors, kernels-only ms per side;
#   3. tune_table.py at 256 and 64 for W1 and B1 (the pass-2 candidates by kind);
#   4. Nsight Compute of the first narrow GEMM launch at 256 (prof.sh).
TTIMEOUT=300 MEMCHECK="test_mbconv_narrow" RACECHECK="test_mbconv_narrow" MTIMEOUT=150 RTIMEOUT=150 \
  SIDES="W=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_TUNE_LOG=1 B=.gpu/bin/gpu_bench_base:BLOCKFUSE_CUDA_TUNE_LOG=1" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in W1 B1 W2 B2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
for f in W1 B1; do for b in 256 64; do
  echo "== $f $b"; python3 bench/tune_table.py "$OUT/ab_$f.txt" $b 2>/dev/null | cut -c1-150
done; done
rm -f "$OUT"/san_*.log "$OUT"/gpu_*_test.log "$OUT"/ab_*2.txt
[ $rc = 0 ] || exit $rc
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
. bench/gpu_calls/prof.sh
prof narrow "pixel_gemm_narrow_kernel" 0
grep -E "DRAM Throughput|L1/TEX Hit|Achieved Occupancy" "$OUT/det_narrow.txt" | cut -c1-120
rm -f "$OUT"/raw_*.csv "$OUT"/sass_*.xz
date -u +%FT%TZ
