#!/usr/bin/env bash
# Session 28 call 3: where the warpgroup-MMA pass-2 GEMM's time goes, by leaving parts of
# its work out (branch wgdiag, a diagnostic build: BF_WG_DIAG bits, after the stages' first
# round: 1 the weights' copies, 2 the A copies, 4 the gates, 8 the MMAs; results wrong, times
# only). The tuner's wg column at 256 and 64 for each setting.
. bench/gpu_calls/setup.sh
for d in 0 1 2 4 8 3 12 15 0; do
  BF_WG_DIAG=$d BLOCKFUSE_CUDA_TUNE_LOG=1 .gpu/bin/gpu_bench $M --batches 64,256 --iters 10 >"$OUT/d$d.txt" 2>&1
  echo "== diag $d (rc $?)"
  python3 - "$OUT/d$d.txt" <<'PY'
import re, sys
best = {}
for l in open(sys.argv[1], errors="replace"):
    m = re.match(r"^tune stack(\d)\.block(\d) batch (\d+): pass-2 gemm .* wg: ([\d.]+) us", l)
    if m:
        k = (int(m[3]), "s%sb%s" % (m[1], m[2]))
        best[k] = min(best.get(k, 1e9), float(m[4]))
for b in (256, 64):
    print("@%d" % b, " ".join("%s %.1f" % (k[1], v) for k, v in sorted(best.items()) if k[0] == b),
          "sum %.1f" % sum(v for k, v in best.items() if k[0] == b and k[1] not in ("s0b0", "s1b0")))
PY
done
date -u +%FT%TZ
