#!/usr/bin/env bash
# Session 25, call 9 (branch fc-split): the head FC's K split for about four CTAs per SM
# instead of two (at batch 256 8 splits of 5 chunks instead of 5 of 8; the other batches
# already take the 8 of the cap), now that a CTA's chunks overlap their loads. Kernel tests
# and network; memcheck and racecheck of test_head; W (this build) against B (main,
# bf67b8d), two rounds; the head's per-block time at each batch.
SAN="memcheck:test_head racecheck:test_head" ROWS="head" bash bench/gpu_calls/s25_ab.sh
