#!/usr/bin/env bash
# Session 18 call 4: the per-tile bulk-copy pass-2 GEMM also in 96-row tiles (WM = 3), as
# tuner candidates: 7x7 at 256 in 128-row tiles is 98 x 2 CTAs for 264 slots (two per SM),
# 14x14 392; 96 rows give 131 x 2 and 523. Kernel and network tests (the kernel tests force
# 96-row tiles: rows across images, column splits, 40 images of 2x2), memcheck and racecheck
# of test_mbconv_se; A = a11c082 (gpu_bench_base), B = the change, two rounds each; B's plans.
TTIMEOUT=300 MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=300 RTIMEOUT=300 \
  PLANS="stack[0-9].block[0-9] bucket 256 .*" PLANS_FROM=B \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -c "gemm96" "$OUT/gpu_kernels_test.log"
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
exit $rc
