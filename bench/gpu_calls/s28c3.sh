#!/usr/bin/env bash
# Session 28 call 3: where the warpgroup-MMA pass-2 GEMM's time goes, by leaving parts of
# its work out (branch wgdiag, a diagnostic build: BF_WG_DIAG bits, after the stages' first
# round: 1 the weights' copies, 2 the A copies, 4 the gates, 8 the MMAs; results wrong, times
# only). The tuner's wg column at 256 and 64 for each setting.
. bench/gpu_calls/setup.sh
DIAG_BIN=.gpu/bin/gpu_bench DIAGS="0 1 2 4 8 3 12 15 0" . bench/gpu_calls/wg_diag.sh
date -u +%FT%TZ
