#!/usr/bin/env bash
# Session 18 call 9: the pass-2 GEMMs' store epilogue: each n8 group's bias loads go out with
# its residual loads, before the group's stores (a load after a store to y waited for it, y
# possibly aliasing them: each n8 tile's bias had come a round trip apart), and the per-tile
# bulk-copy GEMM (one tile per CTA) loads all its residual at once (JB = NT8; 4 for 8 warps
# with NT8 > 6, whose registers spilled). Kernel and network tests, memcheck and racecheck of
# test_mbconv_se; A = 84a9117 (gpu_bench_base), B = the change, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=300 RTIMEOUT=300 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
for f in A1 B1 A2 B2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
rm -f "$OUT"/san_*.log
exit $rc
