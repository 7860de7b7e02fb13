#!/usr/bin/env bash
# Session 29 call 3: xsplit with the SS expand GEMM and the 80-register k = 5 depthwise build
# (PASS1 of a block with an expansion as the expand GEMM on
# warpgroup MMAs + dw_direct.cu's kernel on the expanded tensor) and the profiled graphs
# captured at create(). Checks: all kernel tests (test_mbconv_xsplit new), gpu_backend_test
# (the network against the CPU backend, a sampled run's logits, the graph and concurrent
# times through timed_graph). Then two rounds of W (xsplit on) and N (the same binary with
# BLOCKFUSE_CUDA_XSPLIT=0) at 1, 8, 64, 256 with the tuner's log; then memcheck and
# racecheck of test_mbconv_xsplit.
# The commands: bench/gpu_calls/xsplit_ab.sh (NCU_RE: the launches Nsight Compute profiled).
NCU_RE='dw_direct_kernel|pixel_gemm_wg_kernel<.*1>' . bench/gpu_calls/xsplit_ab.sh
