#!/usr/bin/env bash
# GPU checks and benchmark for the cuda backend, in two halves:
#   bench/gpu_bench.sh stage   (here, where Bazel runs) builds the GPU tests
#       and gpu_bench statically linked against our own code, and copies them,
#       the model, the sample photos and the missing runtime libraries into
#       the ignored .gpu/ folder;
#       Binaries are stripped and packed with xz (the carry limit is 64 MiB);
#   bench/gpu_bench.sh unpack  (on the GPU host) unpacks them, and every GPU
#       script (run, gpu_ab.sh, gpu_profile.sh, gpu_multi.sh) starts with it;
#   bench/gpu_bench.sh run     (on the GPU host, repo root, .gpu/ carried)
#       runs the kernel and network tests, compute-sanitizer memcheck and
#       racecheck, then gpu_bench, `blockfuse serve --backend cuda` under
#       `blockfuse loadgen` (JPEG raw and in v2 JSON, binary uint8 tensors), and the PyTorch
#       baseline on the same machine.
# CONCURRENT (default 2; 0 leaves it out) adds gpu_bench's table of that many instances
# replaying their graphs at once (--concurrent, as `serve --executors N`) and the PyTorch
# variants on that many streams at once (torch_baseline.py --streams, at 64 and 256).
# PHASES (default "test,sanitize,servetest,bench,serve,torch") picks what `run` does
# (servetest: the daemon's integration tests of issue #3 on the cuda backend; cluster,
# not in the default: bench/gpu_ab.sh without and with BLOCKFUSE_CUDA_CLUSTER=1); logs go
# to $OUT (default /tmp/blockfuse-gpu). Correctness gates the timing: no
# bench when a test or a sanitizer fails.
set -u
cmd=${1:-}
case "$cmd" in
stage)
  set -e
  ./bazelw build --dynamic_mode=off //tests:gpu_kernels_test //tests:gpu_backend_test //bench:gpu_bench \
    //bench:arch_model \
    //server:blockfuse //models:efficientnet_b0 //models:sample_images \
    //tests:serve_api_test //tests:serve_load_test
  mkdir -p .gpu/bin .gpu/runfiles/blockfuse/models .gpu/runfiles/efficientnet_b0_tfjs
  rm -f .gpu/bin/blockfuse # older stages kept a second copy here
  rm -f .gpu/bin/*.xz .gpu/runfiles/blockfuse/server/*.xz # an earlier stage's packed copies
  cp -f bazel-bin/tests/gpu_kernels_test bazel-bin/tests/gpu_backend_test bazel-bin/bench/gpu_bench \
    bazel-bin/bench/arch_model \
    bazel-bin/tests/serve_api_test bazel-bin/tests/serve_load_test .gpu/bin/
  mkdir -p .gpu/runfiles/blockfuse/server
  cp -f bazel-bin/server/blockfuse .gpu/runfiles/blockfuse/server/ # the one copy (tests find it here)
  # The device tool carries at most 64 MiB: static binaries without symbols,
  # packed with xz (~6x; `run` and the other GPU scripts unpack them there).
  chmod -R u+w .gpu
  strip .gpu/bin/* .gpu/runfiles/blockfuse/server/blockfuse
  xz -T0 -6 -f .gpu/bin/* .gpu/runfiles/blockfuse/server/blockfuse
  rm -rf .gpu/runfiles/blockfuse/models/efficientnet_b0
  cp -rL bazel-bin/models/efficientnet_b0 .gpu/runfiles/blockfuse/models/
  cp -L bazel-bin/tests/gpu_backend_test.runfiles/efficientnet_b0_tfjs/*.jpg .gpu/runfiles/efficientnet_b0_tfjs/
  cp -f bench/torch_baseline.py .gpu/
  if [ ! -d .gpu/usr/lib/x86_64-linux-gnu ]; then
    (cd .gpu && apt-get download libuv1 libmicrohttpd12 libturbojpeg0 libspng0 libcmocka0 libjansson4 &&
      for f in *.deb; do dpkg -x "$f" .; done && rm -f ./*.deb)
  fi
  du -sh .gpu
  ;;
unpack) # on the GPU host: the staged binaries back from xz (every GPU script starts with it)
  for f in .gpu/bin/*.xz .gpu/runfiles/blockfuse/server/*.xz; do
    [ -e "$f" ] && { xz -d -f "$f" || exit 1; }
  done
  exit 0
  ;;
run)
  "$0" unpack || exit 1
  PHASES=${PHASES:-test,sanitize,servetest,bench,serve,torch}
  BF=.gpu/runfiles/blockfuse/server/blockfuse
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
    timeout 240 compute-sanitizer --tool memcheck --error-exitcode 99 .gpu/bin/gpu_backend_test >"$OUT/san_net.log" 2>&1 ||
      { ok=0; echo "FAIL sanitizer memcheck (network)"; }
    grep -E "ERROR SUMMARY|FAIL|PASSED" "$OUT/san_net.log" | tail -3
  fi
  if has servetest; then
    for t in serve_api_test serve_load_test; do
      echo "== $t (BLOCKFUSE_TEST_BACKEND=cuda)"
      BLOCKFUSE_TEST_BACKEND=cuda .gpu/bin/$t >"$OUT/$t.log" 2>&1 || { ok=0; echo "FAIL $t"; }
      grep -E "^\[ +(OK|FAILED|PASSED|ERROR) +\]|LINE" "$OUT/$t.log" | tail -20
    done
  fi
  if [ "$ok" != 1 ]; then
    echo "correctness failed: not timing (logs in $OUT)"
    exit 1
  fi
  if has bench; then
    echo "== gpu_bench"
    conc=()
    [ "${CONCURRENT:-2}" -ge 2 ] && conc=(--concurrent "${CONCURRENT:-2}")
    .gpu/bin/gpu_bench .gpu/runfiles/blockfuse/models/efficientnet_b0 --batches "${BATCHES:-1,8,64,256}" \
      --iters "${ITERS:-100}" --json "$OUT/blockfuse.jsonl" "${conc[@]}" 2>&1 | tee "$OUT/gpu_bench.txt"
  fi
  if has cluster; then # the opt-in cluster mode against the default plans, same binary, A/B
    echo "== cluster mode A/B (BLOCKFUSE_CUDA_CLUSTER=0 vs 1)"
    A_ENV=BLOCKFUSE_CUDA_CLUSTER=0 B_ENV=BLOCKFUSE_CUDA_CLUSTER=1 OUT="$OUT" \
      bench/gpu_ab.sh .gpu/bin/gpu_bench .gpu/bin/gpu_bench --batches "${BATCHES:-1,8,64,256}" \
      --iters "${ITERS:-50}" || ok=0
    grep -A40 "^plans at batch 1:" "$OUT/ab_B1.txt" | head -24
  fi
  if has serve; then
    M=.gpu/runfiles/blockfuse/models/efficientnet_b0
    IMG=.gpu/runfiles/efficientnet_b0_tfjs/panda.jpg
    rm -f /tmp/bf.port
    "$BF" serve --backend cuda --model "$M" --port 0 --port-file /tmp/bf.port \
      --executors "${EXECUTORS:-2}" --max-batch-size "${MAXB:-64}" --decode-threads "${DECODE:-0}" \
      --log-level warn >"$OUT/serve.log" 2>&1 &
    spid=$!
    for _ in $(seq 1 300); do [ -s /tmp/bf.port ] && break; sleep 0.1; done
    port=$(cat /tmp/bf.port 2>/dev/null)
    if [ -n "$port" ]; then
      url=http://127.0.0.1:$port
      for _ in $(seq 1 300); do curl -sf "$url/v2/health/ready" >/dev/null && break; sleep 0.1; done
      echo "== loadgen JPEG (v1, closed loop, 64 connections)"
      "$BF" loadgen -c 64 --warmup 2 -d 10 --api v1 -i "$IMG" "$url" 2>&1 | tee "$OUT/load_jpeg.txt"
      echo "== loadgen JPEG in KServe v2 JSON (base64, closed loop, 64 connections)"
      "$BF" loadgen -c 64 --warmup 2 -d 10 --api v2 -i "$IMG" "$url" 2>&1 | tee "$OUT/load_v2json.txt"
      echo "== loadgen uint8 tensors (v2-binary, closed loop, 64 connections)"
      "$BF" loadgen -c 64 --warmup 2 -d 10 --api v2-binary --tensor uint8 "$url" 2>&1 |
        tee "$OUT/load_u8.txt"
      curl -s "$url/metrics" | grep -E "^blockfuse_block" | head -60 >"$OUT/metrics.txt"
      curl -s "$url/v2/models/efficientnet_b0/efficiency" >"$OUT/efficiency.json"
      echo "metrics lines: $(wc -l <"$OUT/metrics.txt"), efficiency bytes: $(wc -c <"$OUT/efficiency.json")"
    else
      echo "serve did not start:"; tail -20 "$OUT/serve.log"
    fi
    kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
  fi
  if has torch; then
    echo "== torch baseline"
    python3 .gpu/torch_baseline.py --batches "${BATCHES:-1,8,64,256}" --json "$OUT/torch.jsonl" \
      --streams "${CONCURRENT:-2}" --stream-batches "${STREAM_BATCHES:-64,256}" 2>&1 |
      grep -v Warning | tee "$OUT/torch.txt"
  fi
  ;;
*)
  echo "usage: $0 stage|unpack|run" >&2
  exit 2
  ;;
esac
