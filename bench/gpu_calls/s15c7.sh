#!/usr/bin/env bash
# Session 15 call 7: a swish block's expand weights and bias stored halved (cuda_weights.c), so
# the expand GEMM gives x / 2 and its epilogue drops one HMUL2 per fp16 pair
# (swish_h2_halved). The kernel and network tests, memcheck of the SE tests and racecheck of
# the plain MBConv tests (the epilogue's arithmetic changed, not its memory accesses); A =
# 9533322 (gpu_bench_base), B = the change, two rounds each; then the PyTorch baseline in the
# same call (timm efficientnet_b0: eager, torch.compile, torch.compile + CUDA graphs).
TTIMEOUT=300 MEMCHECK="test_mbconv_se" RACECHECK="test_mbconv_plain" MTIMEOUT=250 RTIMEOUT=200 \
  SIDES="A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench" bash bench/gpu_calls/s9_ab.sh
rc=$?
echo "largest rel err, all checks:"
grep "rel err" "$OUT/gpu_kernels_test.log" | awk '{print $NF, $1, $2}' | sort -g | tail -3
grep "logits rel err" "$OUT/gpu_backend_test.log"
grep -E "ERROR|Error|Race|hazard" /tmp/san_m.log /tmp/san_r.log | head -20
rm -f "$OUT"/san_*.log
[ $rc = 0 ] || exit $rc
for s in A B; do grep -A6 "img/s(kern)" "$OUT/ab_${s}1.txt" | head -5; done
python3 .gpu/torch_baseline.py --batches 1,8,64,256 2>&1 | grep -v Warning | tee "$OUT/torch.txt"
date -u +%FT%TZ
