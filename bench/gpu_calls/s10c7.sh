#!/usr/bin/env bash
# Session 10 call 7: where the session ends (16fb149's kernels). The session's start (ebf1c5a)
# against the end, graph ms, A B A B; then the kernel and network tests, the daemon's
# integration tests on the cuda backend, gpu_bench, the daemon under load and the PyTorch
# baseline, all in this call.
bench/gpu_bench.sh unpack || exit 1
date -u +%FT%TZ
bench/gpu_ab.sh .gpu/bin/gpu_bench_base .gpu/bin/gpu_bench --batches 1,8,64,256 --iters 50
PHASES=test,servetest,bench,serve,torch ITERS=100 bench/gpu_bench.sh run
date -u +%FT%TZ
