#!/usr/bin/env bash
# Session 27 call 3: throughput with several instances at once (main's kernels + gpu_bench
# --concurrent): gpu_bench at 64 and 256 alone and with 2 and 3 instances replaying their
# graphs at the same time (as `serve --executors N`), then the PyTorch baseline alone and
# on 2 streams at once (torch_baseline.py --streams 2), all in this call.
. bench/gpu_calls/setup.sh
for n in 2 3; do
  .gpu/bin/gpu_bench $M --batches 64,256 --iters 30 --concurrent $n >"$OUT/conc$n.txt" 2>&1
  echo "gpu_bench --concurrent $n rc=$?"
  awk '/^ *batch /{p=1} p&&/^$/{exit} p' "$OUT/conc$n.txt"
  awk '/instances at once/{p=1} p&&/^$/{exit} p' "$OUT/conc$n.txt"
done
date -u +%FT%TZ
python3 .gpu/torch_baseline.py --batches 64,256 --iters 50 --streams 2 --stream-batches 64,256 \
  --json "$OUT/torch.jsonl" 2>&1 | grep -v Warning | tee "$OUT/torch.txt" | tail -20
date -u +%FT%TZ
