#!/usr/bin/env bash
# Session 15 call 2: the depthwise conv with 8 channels per thread (dw_vec, dwrows = 3: one
# 16-byte load per tap, k = 3, PASS1's 8- and 16-warp builds, chunks of 16 to 64; the channel
# sums in fp16 per thread, then a butterfly per warp); the tuner tries it on each PASS1's
# winning tile. The kernel tests (test_mbconv_chunks runs it at every chunk width) and the
# network test, memcheck and racecheck of test_mbconv_chunks; A = 5f4d5dd (gpu_bench_base),
# B = the change, Bn = B with BLOCKFUSE_CUDA_DWVEC=0, two rounds each; the plans at 256.
TTIMEOUT=300 MEMCHECK="test_mbconv_chunks" RACECHECK="test_mbconv_chunks" MTIMEOUT=250 \
  RTIMEOUT=280 PLANS_FROM=B PLANS="stack[0-9.block]+ bucket 256  \[pass1[^]]*\]" \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench Bn=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_DWVEC=0" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E " vec .*rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF, $1, $2}' | sort -g | tail -3
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
exit $rc
