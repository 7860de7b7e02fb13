#!/usr/bin/env bash
# Session 19 call 1: dw_run, dw_vec on runs of R = 2, 4 or 7 pixels of a tile row per thread
# (each input column loaded once for the run's outputs: 3 + 6 / R loads a pixel at stride 1
# against 9, R x 4 independent accumulators), and the 8-warp PASS1 build of 128 registers
# (2 CTAs per SM) for R = 4 and 7; the tuner times each R on the plan's dw_vec. Kernel and
# network tests, memcheck and racecheck of test_mbconv_chunks (the dw_run checks);
# A = 506108f (gpu_bench_base), B = the change, Bn = the change
# with BLOCKFUSE_CUDA_DWRUN=0 (no runs), two rounds each; B's tuner log of the runs.
TTIMEOUT=300 MEMCHECK="test_mbconv_chunks" RACECHECK="test_mbconv_chunks" \
  MTIMEOUT=220 RTIMEOUT=200 PLANS="stack[0-9].block[0-9] bucket 256 +\[pass1[^]]*\]" PLANS_FROM=B \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_TUNE_LOG=1 Bn=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_DWRUN=0" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep -c "run[247] " "$OUT/gpu_kernels_test.log"
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
for f in A1 B1 Bn1 A2 B2 Bn2; do
  echo "$f kernels only: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$f.txt")"
done
grep "dwrun" "$OUT/ab_B1.txt" | grep "batch 256" | cut -c1-120
rm -f "$OUT"/san_*.log
exit $rc
