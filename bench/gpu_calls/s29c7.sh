#!/usr/bin/env bash
# Session 29 call 7: why the warpgroup-MMA GEMM takes ~1 µs a slice. Nsight Compute (full
# sections, source counters, stall samples) of two launches in gpu_bench's profiled run at
# 256 with BLOCKFUSE_CUDA_XSPLIT=force (branch xsplit's build): stack5.block1's expand GEMM
# (pixel_gemm_wg_kernel<2, 8, EXP>, the ninth EXP launch) and its pass-2 GEMM
# (pixel_gemm_wg_kernel<2, 12>, the second such launch). Kernels named by their mangled names.
. bench/gpu_calls/setup.sh
p7() { # name mangled-regex skip
  BLOCKFUSE_CUDA_XSPLIT=force timeout 200 ncu --profile-from-start off --cache-control none --clock-control none \
    --kernel-name-base mangled -k "regex:$2" --launch-skip "$3" --launch-count 1 --set full \
    --import-source no -o "/tmp/p_$1" .gpu/bin/gpu_bench $M --batches 256 --ncu-batch 256 >"/tmp/ncu_$1.log" 2>&1
  echo "== $1 ncu rc=$?"
  ncu -i "/tmp/p_$1.ncu-rep" --page details >"$OUT/det_$1.txt"
  ncu -i "/tmp/p_$1.ncu-rep" --page raw --csv >"$OUT/raw_$1.csv" 2>/dev/null
  ncu -i "/tmp/p_$1.ncu-rep" --page source --csv --print-source sass >"/tmp/sass_$1.csv"
  grep -E "  [a-zA-Z_0-9]+.*\(|Duration|Warp Cycles Per Issued|Executed Instructions  |Registers Per|Achieved Occ|L2 Hit|Mem Busy|Max Bandwidth|DRAM Through|No Eligible|Eligible Warps|Issue Slots Busy|Tensor|One or More" "$OUT/det_$1.txt" | cut -c1-120 | head -40
  python3 bench/ncu_source.py "/tmp/sass_$1.csv" 1.5 >"$OUT/src_$1.txt"; head -70 "$OUT/src_$1.txt" | cut -c1-170
  xz -9 -c "/tmp/sass_$1.csv" >"$OUT/sass_$1.csv.xz"
}
p7 exp _ZN2bf20pixel_gemm_wg_kernelILi2ELi8ELb1EE 8
p7 p2 _ZN2bf20pixel_gemm_wg_kernelILi2ELi12ELb0EE 1
date -u +%FT%TZ
