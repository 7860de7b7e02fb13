#!/usr/bin/env bash
# Session 19 call 2: PASS1's chunk loop with two barriers instead of four. The dw weights and
# bias alternate between two buffers, so chunk c+1's expand and dw copies go out together
# after B2(c) and land while dw(c) runs; the channel sums of chunk c run after B1(c+1), beside
# expand(c+1), which drops B3 and B4. With dw_run (s19c1). Kernel and network tests, racecheck
# of every MBConv kernel test (the barriers), memcheck of test_head only (the next call runs
# memcheck); A = 506108f (gpu_bench_base), B = the change, Bn = the change with
# BLOCKFUSE_CUDA_DWRUN=0 (no runs), two rounds each.
TTIMEOUT=300 MEMCHECK="test_head" RACECHECK="test_mbconv_*" MTIMEOUT=100 RTIMEOUT=330 \
  PLANS="stack[0-9].block[0-9] bucket 256 +\[pass1[^]]*\]" PLANS_FROM=B \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench Bn=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_DWRUN=0" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
for f in A1 B1 Bn1 A2 B2 Bn2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
rm -f "$OUT"/san_*.log
exit $rc
