#!/usr/bin/env bash
# Sourced by s34c2.sh and s34c4.sh: on the GPU host, repo root, .gpu/ carried. Unpacks (setup.sh),
# then compute-sanitizer racecheck of the gpu_kernels_test test $RACE_TEST with the extra options
# $RACE_ARGS (how many hazards to print whole, how to report them); its exit status and summary.
# Log: $OUT/race.log.
. bench/gpu_calls/setup.sh
# shellcheck disable=SC2086 # RACE_ARGS is a list of options
BLOCKFUSE_TEST_FILTER=$RACE_TEST timeout 200 compute-sanitizer --tool racecheck $RACE_ARGS \
  .gpu/bin/gpu_kernels_test >"$OUT/race.log" 2>&1
echo "racecheck rc=$?"
grep -E "SUMMARY" "$OUT/race.log"
