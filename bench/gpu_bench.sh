#!/usr/bin/env bash
# GPU checks and benchmark for the cuda backend, in two halves:
#   bench/gpu_bench.sh stage   (here, where Bazel runs) builds the GPU tests
#       and gpu_bench statically linked against our own code, and copies them,
#       the model, the sample photos and the missing runtime libraries into
#       the ignored .gpu/ folder;
#   bench/gpu_bench.sh run     (on the GPU host, repo root, .gpu/ carried)
#       runs the kernel and network tests, compute-sanitizer memcheck and
#       racecheck, then gpu_bench and the PyTorch baseline in the same run.
# PHASES (default "test,sanitize,bench,torch") picks what `run` does; logs go
# to $OUT (default /tmp/blockfuse-gpu). Correctness gates the timing: no
# bench when a test or a sanitizer fails.
set -u
cmd=${1:-}
case "$cmd" in
stage)
  set -e
  ./bazelw build --dynamic_mode=off //tests:gpu_kernels_test //tests:gpu_backend_test //bench:gpu_bench \
    //models:efficientnet_b0 //models:sample_images
  mkdir -p .gpu/bin .gpu/runfiles/blockfuse/models .gpu/runfiles/efficientnet_b0_tfjs
  cp -f bazel-bin/tests/gpu_kernels_test bazel-bin/tests/gpu_backend_test bazel-bin/bench/gpu_bench .gpu/bin/
  rm -rf .gpu/runfiles/blockfuse/models/efficientnet_b0
  cp -rL bazel-bin/models/efficientnet_b0 .gpu/runfiles/blockfuse/models/
  cp -L bazel-bin/tests/gpu_backend_test.runfiles/efficientnet_b0_tfjs/*.jpg .gpu/runfiles/efficientnet_b0_tfjs/
  cp -f bench/torch_baseline.py .gpu/
  if [ ! -d .gpu/usr/lib/x86_64-linux-gnu ]; then
    (cd .gpu && apt-get download libuv1 libmicrohttpd12 libturbojpeg0 libspng0 libcmocka0 libjansson4 &&
      for f in *.deb; do dpkg -x "$f" .; done)
  fi
  du -sh .gpu
  ;;
run)
  PHASES=${PHASES:-test,sanitize,bench,torch}
  OUT=${OUT:-/tmp/blockfuse-gpu}
  mkdir -p "$OUT"
  export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1 PYTHONUNBUFFERED=1
  export PATH="/usr/local/cuda/bin:$PATH"
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,memory.total --format=csv | tee "$OUT/card.txt"
  date -u +%FT%TZ | tee -a "$OUT/card.txt"
  ok=1
  has() { case ",$PHASES," in *",$1,"*) return 0 ;; esac; return 1; }
  if has test; then
    for t in gpu_kernels_test gpu_backend_test; do
      echo "== $t"
      .gpu/bin/$t >"$OUT/$t.log" 2>&1 || { ok=0; echo "FAIL $t"; }
      grep -E "rel err|top-1|SKIP|FAIL|PASSED|peaks|seed" "$OUT/$t.log"
    done
  fi
  if has sanitize; then
    for tool in memcheck racecheck; do
      echo "== compute-sanitizer $tool gpu_kernels_test"
      compute-sanitizer --tool $tool --error-exitcode 99 .gpu/bin/gpu_kernels_test >"$OUT/san_$tool.log" 2>&1 ||
        { ok=0; echo "FAIL sanitizer $tool"; }
      grep -E "ERROR SUMMARY|RACECHECK SUMMARY|FAIL|PASSED" "$OUT/san_$tool.log" | tail -4
    done
    echo "== compute-sanitizer memcheck gpu_backend_test"
    compute-sanitizer --tool memcheck --error-exitcode 99 .gpu/bin/gpu_backend_test >"$OUT/san_net.log" 2>&1 ||
      { ok=0; echo "FAIL sanitizer memcheck (network)"; }
    grep -E "ERROR SUMMARY|FAIL|PASSED" "$OUT/san_net.log" | tail -3
  fi
  if [ "$ok" != 1 ]; then
    echo "correctness failed: not timing (logs in $OUT)"
    exit 1
  fi
  if has bench; then
    echo "== gpu_bench"
    .gpu/bin/gpu_bench .gpu/runfiles/blockfuse/models/efficientnet_b0 --batches "${BATCHES:-1,8,64,256}" \
      --iters "${ITERS:-100}" --json "$OUT/blockfuse.jsonl" 2>&1 | tee "$OUT/gpu_bench.txt"
  fi
  if has torch; then
    echo "== torch baseline"
    python3 .gpu/torch_baseline.py --batches "${BATCHES:-1,8,64,256}" --json "$OUT/torch.jsonl" 2>&1 |
      grep -v Warning | tee "$OUT/torch.txt"
  fi
  ;;
*)
  echo "usage: $0 stage|run" >&2
  exit 2
  ;;
esac
