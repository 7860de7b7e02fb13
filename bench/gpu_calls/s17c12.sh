#!/usr/bin/env bash
# Session 17 call 12: stack0.block0's two kernels' integer work, from s17c11's source counters.
# (1) dw_direct_kernel: each of a strip's 18 16-byte loads computed its own 64-bit offset and
# four bounds tests -> the window's column tests once, the offset stepped a row at a time;
# (2) pixel_gemm_stream_kernel: each tile's rows' images by an integer division (a 68-
# instruction block per tile and warp, 19 % of the kernel) -> fdiv, a multiply-high by a
# per-thread magic number. Kernel and network tests, memcheck of test_mbconv_dwdirect and of
# test_mbconv_se (the streaming GEMM's cases), racecheck of test_mbconv_dwdirect;
# A = d8aa266 (gpu_bench_base), B = the change, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_*" RACECHECK="test_mbconv_dwdirect" MTIMEOUT=300 RTIMEOUT=200 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
exit $rc
