#!/usr/bin/env bash
# Session 15 call 4: dw_vec with its chunk width compiled in (CC = 16, 32, 64; a narrower last
# chunk takes the one-pixel loop), so its per-chunk set-up and channel-sum butterfly lose their
# run-time divisions and selects (s15c3's profile: as many stall samples as the loop itself);
# the tuner ranks tiles with it where it applies (else with dwquads). The kernel and network
# tests, memcheck and racecheck of test_mbconv_chunks; A = 5f4d5dd (gpu_bench_base), B = the
# change (with the tuner's log), Bn = B with BLOCKFUSE_CUDA_DWVEC=0, two rounds each.
TTIMEOUT=300 MEMCHECK="test_mbconv_chunks" RACECHECK="test_mbconv_chunks" MTIMEOUT=250 \
  RTIMEOUT=280 PLANS_FROM=B PLANS="stack[0-9.block]+ bucket 256  \[pass1[^]]*\]" \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_TUNE_LOG=1 Bn=.gpu/bin/gpu_bench:BLOCKFUSE_CUDA_DWVEC=0" \
  bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E " vec .*rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF, $1, $2}' | sort -g | tail -2
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log "$OUT/gpu_backend_test.log"
grep -E "tune stack.* batch 256: pass1" "$OUT/ab_B1.txt" | grep -E "dwrows 3|stack1" | cut -c1-150
exit $rc
