#!/usr/bin/env bash
# Session 14 call 12: the review's refactor of the two bulk-copy GEMMs (their set-up, gate
# loads and stores and gate offsets as shared helpers: pg_bulk_setup, pg_gate8_load,
# pg_gate8_store, pg_gate_offs; the same registers, PTX reordered). The kernel and network
# tests, memcheck and racecheck of the SE tests (both bulk-copy forms); A = f9d24d9
# (gpu_bench_base), B = the refactor, two rounds.
TTIMEOUT=300 MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=200 RTIMEOUT=240 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
exit $rc
