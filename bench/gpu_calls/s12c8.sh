#!/usr/bin/env bash
# Session 12 call 8: the per-tile pass-2 GEMM issues its weight copies from per-thread offsets
# fixed across slices (a thread's rows and columns of every slice set once; s12c7 put 131
# instructions per slice and warp into issuing the copies) (B), against the session's kept
# kernels (A, gpu_bench_base, staged from cb6d056). B's kernel and network
# tests, memcheck and racecheck of the SE tests, graph ms of A and B alternating.
MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_se" MTIMEOUT=150 RTIMEOUT=200 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
