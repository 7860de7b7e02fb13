#!/usr/bin/env bash
# Session 16 call 1: the MBConv kernels keep only the input tile's pixels inside the image in
# shared memory (xin in the expand GEMM's row order, cuda_xin_rows), so the small-image PASS1
# tiles need less of it and the tuner can try more CTAs per SM. The kernel and network tests,
# memcheck of the MBConv tests, racecheck of test_mbconv_chunks and test_mbconv_cluster;
# A = a9e9ab5 (gpu_bench_base), B = the change, two rounds each; B's plans at 256 for the
# small-image blocks; Nsight Compute launch, occupancy and warp-state sections of
# the 13th mbconv_kernel launch of a run at 256 (stack5.block2's PASS1; stack0 runs dw_direct)
# in A and B.
TTIMEOUT=300 MEMCHECK="test_mbconv_*" RACECHECK="test_mbconv_c*" MTIMEOUT=200 RTIMEOUT=220 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" \
  PLANS="stack[3-6]\.block[0-9] bucket 256 +\[pass1[^]]*\]" PLANS_FROM=B bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
[ $rc = 0 ] || exit $rc
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
for s in A:gpu_bench_base B:gpu_bench; do
  timeout 100 ncu --profile-from-start off --cache-control none --clock-control none \
    -k "regex:mbconv_kernel" --launch-skip 12 --launch-count 1 --section LaunchStats \
    --section Occupancy --section WarpStateStats --section SpeedOfLight \
    ".gpu/bin/${s#*:}" $M --batches 256 --ncu-batch 256 >"$OUT/ncu_${s%%:*}.txt" 2>&1
  echo "ncu ${s%%:*} rc=$?"
  grep -E "mbconv_kernel|Duration|Registers Per|Dynamic Shared|Achieved Occ|Theoretical Occ|Block Limit|Issue Slots Busy|Warp Cycles Per Issued|Stall|No Eligible" \
    "$OUT/ncu_${s%%:*}.txt" | head -40
done
date -u +%FT%TZ
