#!/usr/bin/env bash
# Session 17 call 4: the SE MLP batched over groups of 8 images (se_batch.cu), second version: the weights copied into shared memory before the PDL wait (s17c3: the first version, reading them from L2 in its loops, lost). From s17c1's
# table (the 15 SE launches ~140 µs at 256; the 7x7 blocks' 13.8 µs each, L2-bound on 221 KB of
# weights read per image). Kernel and network tests, memcheck and racecheck of test_mbconv_se
# (its new SEBATCH cases: 3 and 19 images); A = the same binary with BLOCKFUSE_CUDA_SEBATCH=0
# (the per-image SE kernel everywhere), B = the rule (cuda_se_batch_ok), two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=220 RTIMEOUT=240 \
  SIDES="A=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_SEBATCH=0 B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
exit $rc
