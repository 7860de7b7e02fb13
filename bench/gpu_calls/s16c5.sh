#!/usr/bin/env bash
# Session 16 call 5: PASS1's per-CTA and per-tile integer work, from s16c4's source counters
# (stack1.block0's PASS1: 8 192 CTAs of 3 chunks each, 176 instructions of prologue per warp,
# 69 of them two integer divisions): the CTA's tile and chunk-split divisions and the pixel
# tables' divisions by small_div; with CinP = 16 the expand's B fragments once per chunk in the
# dw_vec builds (K1). The kernel and network tests, memcheck of the MBConv tests, racecheck of
# test_mbconv_chunks (dw_vec with CinP = 16 included); A = 82445d3 (gpu_bench_base), B = the
# change, two rounds each; then Nsight Compute's instruction count and duration of
# stack1.block0's PASS1 (the first mbconv_kernel launch at 256) in B.
TTIMEOUT=300 MEMCHECK="test_mbconv_*" RACECHECK="test_mbconv_chunks" MTIMEOUT=200 RTIMEOUT=200 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
[ $rc = 0 ] || exit $rc
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
timeout 100 ncu --profile-from-start off --cache-control none --clock-control none \
  -k "regex:mbconv_kernel" --launch-skip 0 --launch-count 1 --section LaunchStats \
  --section WarpStateStats --section SpeedOfLight --section InstructionStats \
  .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >"$OUT/ncu_B.txt" 2>&1
echo "ncu rc=$?"
grep -E "mbconv_kernel<|Duration|Executed Instructions  |Warp Cycles Per Issued" "$OUT/ncu_B.txt"
date -u +%FT%TZ
