#!/usr/bin/env bash
# Session 17 call 8: the stem band kernel's integer work, from s17c7's source counters (116.7 M
# warp instructions, 74 % of the issue slots busy; IMAD 25 %, ISETP 12 %): each tile's two
# pixel rows by an integer division (61 of its 144 set-up instructions) -> small_div; the
# output address in 64 bits per row -> a per-CTA base and 32-bit offsets; the normalising
# loop over rows, 225 of 256 lanes busy and ~61 instructions per pass -> one flat walk over
# the band's pixels. Kernel and network tests, memcheck and racecheck of test_stem;
# A = 387f102 (gpu_bench_base), B = the change, two rounds each; then B's stem under Nsight
# Compute (instructions, duration).
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
