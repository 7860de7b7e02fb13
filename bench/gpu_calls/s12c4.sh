#!/usr/bin/env bash
# Session 12 call 4: s12c3's A side did not run (the base binary was staged without its execute
# bit). fdcf693 (A, 02e4e42's kernels) against the gates copied a slice ahead (B, s12c3's build,
# whose tests and sanitizers passed there) and B with the tuner's pass-2 GEMM candidates at every
# column split between the fewest and twice that (C: same kernels; its network test first).
# Staged without the daemon and B's test binaries (the carry limit). The rounds and the
# per-block lines are s9_ab.sh's.
bench/gpu_bench.sh unpack || exit 1
chmod +x .gpu/bin/*
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader; date -u +%FT%TZ
.gpu/bin/gpu_backend_test_C >"$OUT/gpu_backend_test_C.log" 2>&1 ||
  { echo "FAIL C network test"; tail -20 "$OUT/gpu_backend_test_C.log"; exit 1; }
grep -E "PASSED|top-1" "$OUT/gpu_backend_test_C.log"
SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench C=.gpu/bin/gpu_bench_C"
for r in 1 2; do
  for side in $SIDES; do
    name=${side%%=*} bin=${side#*=}
    "$bin" $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_${name}$r.txt" 2>&1
    echo "$name$r: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_${name}$r.txt")"
  done
done
for side in $SIDES; do
  awk '/per-block roofline, batch 256/{p=1} p' "$OUT/ab_${side%%=*}1.txt" | head -22 |
    awk '{printf "%s ", $5} END {print ""}'
done
for side in B C; do
  echo "== $side plans"
  grep -oE "stack[0-9]\.block[0-9] bucket (256|64) .*staged gemm[^]]*" "$OUT/ab_${side}1.txt"
done
date -u +%FT%TZ
