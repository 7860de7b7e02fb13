#!/usr/bin/env bash
# Session 20 call 2: s20c1 again on the build that inlines the packed-tap depthwise forms
# (dw_quads_chunk, always inlined: in s20c1's build nvcc had made dw_pairs_chunk<true, 2>
# and <true, 7, 2> calls, with a 368-byte stack frame and 56 bytes of spills in the
# 128-register PASS1 builds, and every side with them was slower). Kernel and network
# tests, memcheck and racecheck of test_mbconv_strips; A = 65175aa, B = the change, Bn =
# the change with BLOCKFUSE_CUDA_DWSTRIPS=0, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_strips" RACECHECK="test_mbconv_strips" MTIMEOUT=200 RTIMEOUT=200 \
  PLANS="stack[0-9].block[0-9] bucket (256|64|8) +\[pass1[^]]*\]" PLANS_FROM=B \
  SIDES="A=.gpu/bin/gpu_bench_base:BLOCKFUSE_CUDA_TUNE_LOG=1 B=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_TUNE_LOG=1 Bn=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_DWSTRIPS=0" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -E "strips" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in A1 B1 Bn1 A2 B2 Bn2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
echo "B1 strips timed at 256:"
grep -E "batch 256: pass1 .*dwrows [45]:" "$OUT/ab_B1.txt" | head -40
rm -f "$OUT"/san_*.log
exit $rc
