#!/usr/bin/env bash
# Session 14 call 11: the review's refactor whose PTX differs (the tensor-core stems' MMA and
# store epilogue as one helper, stem_tile_out; the bulk-copy GEMMs' gate fragments as
# pg_gate_frags). The kernel and network tests, memcheck of test_stem and racecheck of the SE
# tests (the bulk-copy GEMMs); A = fa204a7 (gpu_bench_base), B = the refactor, two rounds.
TTIMEOUT=300 MEMCHECK="test_stem" RACECHECK="test_mbconv_se" MTIMEOUT=200 RTIMEOUT=240 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
exit $rc
