#!/usr/bin/env bash
# Sourced by s28c3 and s28c4 after setup.sh (each had these lines inline): for each
# BF_WG_DIAG setting in $DIAGS, the diagnostic build $DIAG_BIN (branch wgdiag: the bits leave
# out, after the stages' first round, 1 the weights' copies, 2 the A copies, 4 the gates, 8 the
# MMAs) at batches 64 and 256 with the tuner's log ($OUT/d<setting>.txt), and per batch the
# tuner's fastest wg time of each block and their sum from stack1.block1 on.
for d in $DIAGS; do
  BF_WG_DIAG=$d BLOCKFUSE_CUDA_TUNE_LOG=1 $DIAG_BIN $M --batches 64,256 --iters 10 >"$OUT/d$d.txt" 2>&1
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
