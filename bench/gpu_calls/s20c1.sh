#!/usr/bin/env bash
# Session 20 call 1: PASS1's depthwise conv in strips of 7 pixels by one or two rows per
# thread (dwrows 4 and 5: dw_pairs with NX = 7), which the tuner times after the 2 x 2 blocks.
# Kernel and network tests (test_mbconv_strips is new), memcheck of test_mbconv_se and
# test_mbconv_strips, racecheck of test_mbconv_strips; A = 65175aa (gpu_bench_base, the
# kernels of 716f1e1), B = the change, Bn = the change with BLOCKFUSE_CUDA_DWSTRIPS=0, two
# rounds each, with the tuner's log.
TTIMEOUT=300 MEMCHECK="test_mbconv_s*" RACECHECK="test_mbconv_strips" MTIMEOUT=240 RTIMEOUT=200 \
  PLANS="stack[0-9].block[0-9] bucket (256|64|8) +\[pass1[^]]*\]" PLANS_FROM=B \
  SIDES="A=.gpu/bin/gpu_bench_base:BLOCKFUSE_CUDA_TUNE_LOG=1 B=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_TUNE_LOG=1 Bn=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_DWSTRIPS=0" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -E "strips" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -c "strips" "$OUT/gpu_kernels_test.log"
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" "$OUT"/san_m.log "$OUT"/san_r.log | head -20
for f in A1 B1 Bn1 A2 B2 Bn2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
echo "B1 strips timed at 256:"
grep -E "batch 256: pass1 .*dwrows [45]:" "$OUT/ab_B1.txt" | head -40
rm -f "$OUT"/san_*.log
exit $rc
