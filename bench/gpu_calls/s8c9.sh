#!/usr/bin/env bash
# Session 8 call 9: dw_out() (the depthwise output step in one place): tests, memcheck, A/B vs the
# session's kernels; then one loadgen against the 31k req/s daemon (its client-CPU warning).
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" RUNFILES_DIR="$PWD/.gpu/runfiles" BLOCKFUSE_GPU_TESTS=1
date -u +%FT%TZ
t0=$(date +%s)
for t in gpu_kernels_test gpu_backend_test; do
  .gpu/bin/$t > /tmp/$t.log 2>&1 || echo "FAIL $t"; grep -E "PASSED|FAILED|top-1" /tmp/$t.log | tail -3
done
grep -c "rel err" /tmp/gpu_kernels_test.log; grep "rel err" /tmp/gpu_kernels_test.log | awk '{for(i=1;i<=NF;i++) if ($i=="err") print $(i+1)}' | sort -g | tail -1
echo "tests $(( $(date +%s) - t0 )) s"
timeout 200 compute-sanitizer --tool memcheck --error-exitcode 99 .gpu/bin/gpu_kernels_test > /tmp/mc.log 2>&1; echo "memcheck rc=$?"; grep -E "ERROR SUMMARY" /tmp/mc.log | tail -1
BLOCKFUSE_TEST_FILTER="test_mbconv_p*" timeout 150 compute-sanitizer --tool racecheck --error-exitcode 99 .gpu/bin/gpu_kernels_test > /tmp/rc.log 2>&1; echo "racecheck test_mbconv_plain rc=$?"; grep -E "RACECHECK SUMMARY|PASSED" /tmp/rc.log | tail -2
echo "sanitizers done $(( $(date +%s) - t0 )) s"
bench/gpu_ab.sh .gpu/bin/gpu_bench_base .gpu/bin/gpu_bench --batches 1,8,64,256 --iters 50 2>&1 | grep -vE "^\s*$" | tail -30
BF=.gpu/runfiles/blockfuse/server/blockfuse; M=.gpu/runfiles/blockfuse/models/efficientnet_b0
rm -f /tmp/p; $BF serve --backend cuda --model $M --port 0 --port-file /tmp/p --log-level warn --max-batch-size 64 2>/tmp/s.log & pid=$!
for _ in $(seq 1 300); do [ -s /tmp/p ] && break; sleep 0.1; done; url=http://127.0.0.1:$(cat /tmp/p)
for _ in $(seq 1 300); do curl -sf $url/v2/health/ready >/dev/null && break; sleep 0.1; done
$BF loadgen -c 256 --warmup 1 -d 5 --api v2-binary --tensor uint8 --binary-output $url 2>&1 | grep -E "throughput|p50|client|warning"
kill $pid; wait $pid
