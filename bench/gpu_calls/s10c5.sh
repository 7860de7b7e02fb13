#!/usr/bin/env bash
# Session 10 call 5: the row list built without a division and its output rows read before the
# MMAs (C), against s10c3's row list (B) and ebf1c5a (A): tests, memcheck of every MBConv
# kernel test, racecheck of the SE tests, graph ms; stack1.block0's PASS1 under Nsight Compute.
MEMCHECK="test_mbconv_*" RACECHECK=test_mbconv_se MTIMEOUT=240 RTIMEOUT=200 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench_v3 C=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh || exit 1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
for side in A=.gpu/bin/gpu_bench_base C=.gpu/bin/gpu_bench; do
  cuobjdump -sass -fun '_ZN2bf13mbconv_kernelILi1ELi3ELi256EEEv16cuda_mbconv_args' ${side#*=} >/tmp/sass.txt 2>&1
  echo "${side%%=*}: $(grep -c LDL /tmp/sass.txt) LDL, $(grep -c STL /tmp/sass.txt) STL"
  ncu --profile-from-start off --cache-control none --clock-control none -k "regex:mbconv_kernel" \
    --launch-count 1 --section SpeedOfLight --metrics smsp__inst_executed.sum ${side#*=} $M --batches 256 \
    --ncu-batch 256 2>/dev/null | grep -E "Duration|inst_executed"
done
