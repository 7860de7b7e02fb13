#!/usr/bin/env bash
# Session 33 call 1: the depthwise conv on tensor cores (px_dw_mma, cuda_px_args.dwm). The new
# test_px_dwm and the ConvNeXt / ConvFirst kernel tests, memcheck and racecheck of test_px_dwm,
# then ConvNeXt-T in gpu_bench at 1 and 256 in one binary: the tuner free to choose dwm (W),
# without it (N, BLOCKFUSE_CUDA_DWM=0), and with only dwm where it applies (F, =force), with the
# tuner's log of every candidate (tune_<side>.log) and the per-block tables at 256.
# This call ran these commands inline; since then they live in dwm_ab.sh, shared with s33c2 and
# s33c3. Against what ran, dwm_ab.sh also copies its output to $OUT/summary.txt and each kernel
# test's log to k_<pattern>.log, prints the plans' lines beside the per-block tables and the four
# fastest tuner lines of each stage's block0 (s33c1 printed 60 lines sorted by time).
. bench/gpu_calls/dwm_ab.sh
