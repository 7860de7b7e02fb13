#!/usr/bin/env bash
# Session 24 call 9: s24c8's wide stores left the narrow GEMM's epilogue waiting on its bias
# loads (the bias reread from L2 every tile: 69.5 % of the stall samples). The bias now sits
# in shared memory, copied once per CTA. Tests as s24c1; A/B W (this build) against B
# (1deebe2), tuner log: the pass-2 candidates at 256 and 64; Nsight Compute of the narrow
# kernel.
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
