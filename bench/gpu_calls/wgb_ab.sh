#!/usr/bin/env bash
# Sourced by the calls on mbconv_wgb.cu's builds (s35c2, s35c5), on the GPU host, repo root, .gpu/
# carried, after `exec > >(tee "$OUT/summary.txt") 2>&1`: env_ab.sh's checks and A/B with
# BLOCKFUSE_CUDA_WGB (test_mbconv_wgb), the table at 256 and the tuner's lines of stack1 and stack2
# at 256, then Nsight Compute on stack1.block1's PASS1 as wgb (forced) at 256: duration, issue,
# warp stalls, and the source counters by opcode and basic block (ncu_src, bench/ncu_source.py).
# Logs: env_ab.sh's, $OUT/ncu_run.log, $OUT/det.txt, $OUT/src.txt (and src.csv.xz).
AB_ENV=BLOCKFUSE_CUDA_WGB AB_TEST=test_mbconv_wgb AB_TAG=wgb . bench/gpu_calls/env_ab.sh
. bench/ncu_src.sh # the source page to bench/ncu_source.py (ncu_src)
awk '$0 ~ "per-block roofline, batch 256 " {p=1} p' "$OUT/ab_W.txt" | head -24
grep -E "^tune stack[12]\.block[01] batch 256: pass1 (wgb|tile .*ranked)" "$OUT/ab_W.txt" | head -50
BLOCKFUSE_CUDA_WGB=force timeout 200 ncu --profile-from-start off --cache-control none \
  --clock-control none -k regex:mbconv_wgb --launch-skip 1 --launch-count 1 \
  --section SpeedOfLight --section MemoryWorkloadAnalysis --section WarpStateStats \
  --section SourceCounters --section InstructionStats --section LaunchStats --section Occupancy \
  --section SchedulerStats -o "$OUT/wgb" .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 \
  >"$OUT/ncu_run.log" 2>&1
echo "ncu rc=$?"
grep -E "pass1 wgb" "$OUT/ncu_run.log" | head -4
ncu -i "$OUT/wgb.ncu-rep" --page details >"$OUT/det.txt" 2>&1
grep -E "Duration|Executed Ipc A|Issue Slots Busy|L1/TEX Hit|Mem Busy|DRAM Throughput|Executed Instructions  |Registers Per|No Eligible|Active Warps Per|Eligible Warps|Achieved Occupancy|Dynamic Shared|Block Size|Grid Size" "$OUT/det.txt" | head -30
grep -iE "stall|warp cycles per issued" "$OUT/det.txt" | head -14
ncu_src "$OUT/wgb.ncu-rep" src 2
head -60 "$OUT/src.txt"
date -u +%FT%TZ
