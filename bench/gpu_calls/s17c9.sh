#!/usr/bin/env bash
# Session 17 call 9: the stem's swish epilogue, from s17c7's source counters (80 of a tile's
# ~200 epilogue instructions per warp are the fp32 swish of its 16 values, 34 the
# padded-channel tests): with swish the weights and bias are halved (h = x / 2), so swish(x) =
# h + h tanh(h) is FADD, MUFU, FFMA per value in fp32 (s17c6's fp16-pair form, with the MMA
# starting from the bias, lost), and the swish path skips the padded-channel tests (their
# weights and bias are zero, swish(0) = 0). Kernel and network tests, memcheck and racecheck
# of test_stem; A = 13eb366 (gpu_bench_base), B = the change; then B's stem under Nsight
# Compute.
TTIMEOUT=300 MEMCHECK="test_stem" RACECHECK="test_stem" MTIMEOUT=200 RTIMEOUT=240 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -E "^stem.*rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
[ $rc = 0 ] || exit $rc
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
timeout 100 ncu --profile-from-start off --cache-control none --clock-control none \
  -k "regex:stem_band_kernel" --launch-count 1 --section SpeedOfLight --section InstructionStats \
  --section WarpStateStats .gpu/bin/gpu_bench .gpu/runfiles/blockfuse/models/efficientnet_b0 \
  --batches 256 --ncu-batch 256 >"$OUT/ncu_B.txt" 2>&1
echo "ncu rc=$?"
grep -E "Duration|Executed Instructions  |Warp Cycles Per Issued|Issue Slots" "$OUT/ncu_B.txt"
