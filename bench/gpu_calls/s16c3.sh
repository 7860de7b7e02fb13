#!/usr/bin/env bash
# Session 16 call 3: PASS1's per-chunk integer work, from s16c2's source counters (stack5.block2:
# ~35 % of its instructions ran once per warp and chunk, outside the MMAs and the dw loop):
# the weight copies by cp_rows (a fixed column per thread, no division per 16 bytes), the
# expand's column-pair split by shifts, dw_pairs' walk start by small_div, the stage pointer
# once per CTA. The kernel and network tests, memcheck of the MBConv tests, racecheck of
# test_mbconv_se and then test_mbconv_cluster (the copies' new thread mapping);
# A = 42f59ca (gpu_bench_base), B = the change, two rounds each; then Nsight Compute's
# instruction count and duration of stack5.block2's PASS1 in B (the 13th mbconv_kernel launch).
TTIMEOUT=300 MEMCHECK="test_mbconv_*" RACECHECK="test_mbconv_se" MTIMEOUT=200 RTIMEOUT=200 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
[ $rc = 0 ] || exit $rc
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
BLOCKFUSE_TEST_FILTER="test_mbconv_cluster" timeout 150 compute-sanitizer --tool racecheck \
  --error-exitcode 99 .gpu/bin/gpu_kernels_test >/tmp/san_r2.log 2>&1
echo "racecheck cluster rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/san_r2.log | tail -1)" \
  "$(grep -c '^\[       OK \]' /tmp/san_r2.log) tests passed, $(grep -c 'rel err' /tmp/san_r2.log) checks"
rm -f "$OUT"/san_*.log
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
timeout 100 ncu --profile-from-start off --cache-control none --clock-control none \
  -k "regex:mbconv_kernel" --launch-skip 12 --launch-count 1 --section LaunchStats \
  --section WarpStateStats --section SpeedOfLight --section InstructionStats \
  .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >"$OUT/ncu_B.txt" 2>&1
echo "ncu rc=$?"
grep -E "mbconv_kernel<|Duration|Executed Instructions  |Warp Cycles Per Issued|Issue Slots Busy" "$OUT/ncu_B.txt"
date -u +%FT%TZ
