#!/usr/bin/env bash
# Session 15 call 3: dw_vec (8 channels per thread) in PASS1 builds of its own (VEC), so that
# the other builds keep their registers; BLOCKFUSE_CUDA_TUNE_LOG=1 now prints every PASS1
# depthwise shape the tuner times, and BLOCKFUSE_CUDA_DWROWS=3 forces dw_vec wherever it
# applies. The kernel and network tests, memcheck and racecheck of test_mbconv_chunks; A =
# 5f4d5dd (gpu_bench_base), B = the change (with the tuner's log), Bv = B with dw_vec forced,
# two rounds each; then Nsight Compute source counters of stack1.block0's PASS1 with dw_vec
# forced (SASS and line table), packed into one tarball.
TTIMEOUT=300 MEMCHECK="test_mbconv_chunks" RACECHECK="test_mbconv_chunks" MTIMEOUT=250 \
  RTIMEOUT=280 PLANS_FROM=Bv PLANS="stack[0-9.block]+ bucket 256  \[pass1[^]]*\]" \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_TUNE_LOG=1 Bv=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_DWROWS=3" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E " vec .*rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF, $1, $2}' | sort -g | tail -2
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log "$OUT/gpu_backend_test.log"
grep -E "tune stack.* batch 256: pass1" "$OUT/ab_B1.txt" | cut -c1-150
[ $rc = 0 ] || exit $rc
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
mkdir -p /tmp/o
BLOCKFUSE_CUDA_DWROWS=3 timeout 150 ncu --profile-from-start off --cache-control none \
  --clock-control none -k "regex:mbconv_kernel" --launch-skip 0 --launch-count 1 \
  --section LaunchStats --section WarpStateStats --section SourceCounters --section Occupancy \
  --section SpeedOfLight -o /tmp/p3 .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 \
  >/tmp/ncu.log 2>&1
echo "ncu rc=$?"
ncu -i /tmp/p3.ncu-rep --page details --csv >/tmp/o/det.csv
ncu -i /tmp/p3.ncu-rep --page source --csv --print-source sass >/tmp/o/sass.csv
grep -E '"Duration"|"Executed Instructions"|"Registers Per Thread"' /tmp/o/det.csv | cut -c1-200
tar -C /tmp/o -cJf "$OUT/s15c3.tar.xz" . && ls -la "$OUT"; date -u +%FT%TZ
