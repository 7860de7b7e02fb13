#!/usr/bin/env bash
# Session 25 call 5 (branch head-stream): the head's 1x1 conv on the streaming cp.async GEMM
# with its pooling epilogue (pixel_gemm_stream_kernel<4, nt8, false, true>: persistent CTAs,
# each walking row tiles through one pipeline) against the per-tile pooling GEMM, in one
# build: W (the default, streaming) and H (BLOCKFUSE_CUDA_HEADSTREAM=0), two rounds. Kernel
# tests (test_head: each case also with CUDA_TEST_STREAM(3)) and network; memcheck and
# racecheck of test_head; the head's per-block time at each batch.
f=.gpu/runfiles/blockfuse/models/efficientnet_b0/model.safetensors.xz
[ -e "$f" ] && { xz -d -f "$f" || exit 1; }
TTIMEOUT=300 MEMCHECK="test_head" RACECHECK="test_head" MTIMEOUT=150 RTIMEOUT=150 \
  SIDES="W=.gpu/bin/gpu_bench H=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_HEADSTREAM=0" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -E "head.*rel err" "$OUT/gpu_kernels_test.log" | cut -c1-150
grep "logits rel err" "$OUT/gpu_backend_test.log"
for f in W1 H1 W2 H2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
  echo "$f head us at 1/8/64/256: $(awk '/^head  *head/{printf "%s ", $5}' "$OUT/ab_$f.txt")"
done
rm -f "$OUT"/gpu_*_test.log
date -u +%FT%TZ
exit $rc
