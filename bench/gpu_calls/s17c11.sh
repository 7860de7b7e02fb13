#!/usr/bin/env bash
# Session 17 call 11: where three more launches at batch 256 spend their instructions (s17c1's
# table): stack0.block0's PASS1 (dw_direct_kernel, 183 µs) and pass 2 (pixel_gemm_stream_kernel,
# 131 µs), and the head's pooling GEMM (the last pixel_gemm_kernel launch, 69 µs). Nsight
# Compute's source counters of each, summarised by bench/ncu_source.py, and the SASS with line
# info of their cubins. Build d8aa266. GPU host, repo root, .gpu/ carried.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
date -u +%FT%TZ
prof() { # name regex skip (the regex on the demangled name, template arguments included)
  timeout 150 ncu --profile-from-start off --cache-control none --clock-control none \
    --kernel-name-base demangled -k "regex:$2" --launch-skip "$3" --launch-count 1 --section LaunchStats --section WarpStateStats \
    --section SourceCounters --section InstructionStats --section SpeedOfLight \
    -o "/tmp/p_$1" .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >"/tmp/ncu_$1.log" 2>&1
  echo "== $1 ncu rc=$?"
  ncu -i "/tmp/p_$1.ncu-rep" --page source --csv --print-source sass >"/tmp/sass_$1.csv"
  ncu -i "/tmp/p_$1.ncu-rep" --page details >"/tmp/det_$1.txt"
  grep -E "  [a-z_]+<.*\(|Duration|Warp Cycles Per Issued|Issue Slots|Executed Instructions  |Registers Per|Achieved Occ" "/tmp/det_$1.txt" | cut -c1-120
  python3 bench/ncu_source.py "/tmp/sass_$1.csv" 2 >"$OUT/src_$1.txt"; head -45 "$OUT/src_$1.txt" | cut -c1-180
}
prof dwd dw_direct_kernel 0
prof pgs pixel_gemm_stream_kernel 0
prof head "pixel_gemm_kernel<2, 8, 1>" 0
mkdir -p /tmp/cub && cd /tmp/cub && cuobjdump -xelf all "$OLDPWD/.gpu/bin/gpu_bench" >/dev/null 2>&1
cd "$OLDPWD"
for f in /tmp/cub/*.cubin; do
  if strings "$f" | grep -qE "dw_direct_kernel|pixel_gemm_stream_kernel"; then nvdisasm -g -c "$f" 2>/dev/null | gzip >"$OUT/$(basename "$f").sass.gz"; fi
done
ls -la "$OUT"; date -u +%FT%TZ
