#!/usr/bin/env bash
# Session 11 call 3: the SE kernel with 8 rows of Wr and 16 rows of We in flight (C) against
# s11c2's channel pairs (B) and the session's start (8ca3573, A): tests, memcheck of the SE
# tests, graph ms in two rounds; then the daemon's integration tests on the cuda backend and
# the daemon under load (JPEG raw and in v2 JSON, uint8 tensors) with this session's CPU code.
bench/gpu_bench.sh unpack || exit 1
MEMCHECK=test_mbconv_se RACECHECK=none MTIMEOUT=240 RTIMEOUT=5 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench_B C=.gpu/bin/gpu_bench" \
  bash bench/gpu_calls/s9_ab.sh || exit 1
PHASES=servetest,serve bench/gpu_bench.sh run
date -u +%FT%TZ
