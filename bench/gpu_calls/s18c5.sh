#!/usr/bin/env bash
# Session 18 call 5: the cp.async GEMMs' weight copies (pg_load_b): one column and one source
# pointer per thread stepping over rows where the threads divide into whole rows, instead of a
# division and 64-bit row arithmetic per 16-byte copy (s18c1: a third of the head's pooling
# GEMM's instructions). Kernel and network tests, memcheck and racecheck of test_mbconv_se (the
# pass-2 forms) and of test_head; A = the 96-row build (gpu_bench_base), B = the change.
TTIMEOUT=300 MEMCHECK="test_mbconv_se" RACECHECK="test_head" MTIMEOUT=300 RTIMEOUT=200 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
grep -E "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF}' | sort -g | tail -1
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
BLOCKFUSE_TEST_FILTER="test_head" timeout 200 compute-sanitizer --tool memcheck --error-exitcode 99 \
  .gpu/bin/gpu_kernels_test >/tmp/san_m2.log 2>&1
echo "memcheck test_head rc=$? $(grep -E 'ERROR SUMMARY' /tmp/san_m2.log | tail -1) $(grep -c 'rel err' /tmp/san_m2.log) checks"
BLOCKFUSE_TEST_FILTER="test_mbconv_se" timeout 300 compute-sanitizer --tool racecheck --error-exitcode 99 \
  .gpu/bin/gpu_kernels_test >/tmp/san_r2.log 2>&1
echo "racecheck test_mbconv_se rc=$? $(grep -E 'RACECHECK SUMMARY' /tmp/san_r2.log | tail -1) $(grep -c 'rel err' /tmp/san_r2.log) checks"
awk '/per-block roofline, batch 256/{p=1} p' "$OUT/ab_A1.txt" | grep -E "^head"
awk '/per-block roofline, batch 256/{p=1} p' "$OUT/ab_B1.txt" | grep -E "^head"
rm -f "$OUT"/san_*.log
exit $rc
# As run, the two sanitizer steps above lacked s9_ab.sh's environment (library path, runfiles,
# BLOCKFUSE_GPU_TESTS) and ran no test (rc 255); s18c5b.sh ran them on the same warm machine.
