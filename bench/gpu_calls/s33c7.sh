#!/usr/bin/env bash
# Session 33 call 7 (branch downsample-lb): s33c5's chunk-ahead gather with three CTAs per SM
# forced (__launch_bounds__(256, 3) for the CONV kernels of nt <= 6: 80 registers, 92 bytes of
# spills; s33c6: its 99 registers had left two). This build (W) against main's (B). The body:
# down_ab.sh.
. bench/gpu_calls/down_ab.sh
