#!/usr/bin/env bash
# Session 13 call 3: the bulk-copy pass-2 GEMM on any K (a multiple of 16: the last slice of
# the 144- and 240-channel blocks half past K, which the tensor copies fill with zeros, the
# gates rounded up to whole slices with zeros), so that stack1-2 get it as a candidate too.
# The kernel and network tests, memcheck and racecheck of the SE tests, the A/B (A:
# BLOCKFUSE_CUDA_BULK=0; B with the tuner's pass-2 times), B's batch-256 pass-2 plans; then
# Nsight Compute of the second pixel_gemm_bulk_kernel<4, 6> launch of a batch-256 run
# (stack5.block1's pass 2: M 12 544, N 192 in 2 column splits, K 1 152).
TTIMEOUT=240 MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=150 RTIMEOUT=220 \
  SIDES="A=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_BULK=0 B=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_TUNE_LOG=1" \
  PLANS="stack[0-9]\.block[0-9] bucket 256 .*staged gemm[^]]*" PLANS_FROM=B bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -B3 -A12 -E "FAIL|rror" "$OUT/gpu_kernels_test.log" | head -40
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
grep -E "^tune stack(1|2)\.block[0-9] batch 256" "$OUT/ab_B1.txt" | sed 's/pass-2 gemm //' | head -40
[ $rc = 0 ] || exit $rc
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
timeout 200 ncu --profile-from-start off --cache-control none --clock-control none \
  --kernel-name-base demangled -k "regex:pixel_gemm_bulk_kernel<.int.4, .int.6>" --launch-skip 1 --launch-count 1 \
  --section LaunchStats --section WarpStateStats --section SourceCounters --section InstructionStats \
  --section Occupancy --section SpeedOfLight --section MemoryWorkloadAnalysis --section SchedulerStats -o /tmp/b46 \
  .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >/tmp/ncu.log 2>&1
echo "ncu rc=$?"; tail -2 /tmp/ncu.log
ncu -i /tmp/b46.ncu-rep --page details >"$OUT/det.txt"
grep -E "void|Grid Size|Block Size|Registers|Dynamic Shared|Duration|Elapsed Cycles|SM Active|Executed Ipc A|Issue Slots|Achieved Occ|Theoretical Occ|Warp Cycles Per Issued|DRAM Through|L1/TEX Hit|L2 Hit|Memory Through|Waves|Stall|No Eligible" "$OUT/det.txt" | head -30
ncu -i /tmp/b46.ncu-rep --page source --csv --print-source sass >/tmp/b46.csv &&
  python3 bench/ncu_source.py /tmp/b46.csv 0.7 >"$OUT/src.txt"
head -45 "$OUT/src.txt" | cut -c1-150
date -u +%FT%TZ
