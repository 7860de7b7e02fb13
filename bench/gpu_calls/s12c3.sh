#!/usr/bin/env bash
# Session 12 call 3: the pass-2 GEMMs' gates copied a slice ahead into shared-memory stages with
# the A slices (pg_load_gates), instead of read from L1 / L2 by each thread just before it gates
# its A chunks (s12c2: 36 % of stack6's GEMM cycles waited on those loads). The new build's
# kernel and network tests, memcheck and racecheck of the SE tests (every GEMM form: per tile,
# K split, sefuse, streaming), then graph ms of fdcf693 (A, 02e4e42's kernels) and the new
# build (B), and B's plans at 256.
MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=200 RTIMEOUT=220 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" \
  PLANS="stack[0-9]\.block[0-9] bucket 256 .*" PLANS_FROM=B bash bench/gpu_calls/s9_ab.sh
