#!/usr/bin/env bash
# Session 20 call 6: the tuner ranks PASS1's tiles with strips of one row where they apply
# (in place of the 2 x 2 blocks; the kernels as 0444841: s20c5's copy change reverted).
# Kernel and network tests (no sanitizer: no kernel changed); A = 0444841 (gpu_bench_base),
# B = the change, Bl = the change with BLOCKFUSE_CUDA_DWSTRIPS=late (strips after the
# ranking only, as 0444841), two rounds each.
TTIMEOUT=300 MEMCHECK="test_none" RACECHECK="test_none" MTIMEOUT=60 RTIMEOUT=60 \
  PLANS="stack[0-9].block[0-9] bucket (256|64) +\[pass1[^]]*\]" PLANS_FROM=B \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench Bl=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_DWSTRIPS=late" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in A1 B1 Bl1 A2 B2 Bl2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
rm -f "$OUT"/san_*.log
exit $rc
