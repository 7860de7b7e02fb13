#!/usr/bin/env bash
# Session 11 call 6: where the session ends (bf25674) against its start (8ca3573), graph ms
# A B A B, then gpu_bench, the daemon under load (JPEG raw and in v2 JSON, uint8 tensors) and
# the PyTorch baseline, all in this call (s11c2 ran the tests and memcheck of this kernel code;
# s11c7 runs racecheck and the daemon's integration tests).
bench/gpu_bench.sh unpack || exit 1
date -u +%FT%TZ
bench/gpu_ab.sh .gpu/bin/gpu_bench_base .gpu/bin/gpu_bench --batches 1,8,64,256 --iters 50
PHASES=bench,serve,torch ITERS=100 bench/gpu_bench.sh run
date -u +%FT%TZ
