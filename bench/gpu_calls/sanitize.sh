#!/usr/bin/env bash
# Sourced by the call scripts after setup.sh (s30c3.sh, s30c8.sh; s30c1.sh and s30c2.sh carry
# their own loops): compute-sanitizer memcheck and racecheck of each gpu_kernels_test test
# named in $SAN_TESTS ($SAN_TIMEOUT s each, 200 by default), one line each with its summary.
for t in $SAN_TESTS; do
  for tool in memcheck racecheck; do
    BLOCKFUSE_TEST_FILTER=$t timeout "${SAN_TIMEOUT:-200}" compute-sanitizer --tool $tool \
      --error-exitcode 9 .gpu/bin/gpu_kernels_test >/tmp/san.log 2>&1
    echo "$tool $t rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' /tmp/san.log | tail -1)"
  done
done
