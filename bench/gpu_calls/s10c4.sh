#!/usr/bin/env bash
# Session 10 call 4: why stack1.block0's PASS1 got slower with the expand row list (s10c3):
# Nsight Compute source counters of that launch (the first tile-kernel launch at batch 256)
# in ebf1c5a (A) and with the row list (B), and the spills of the 80-register PASS1 kernel.
bench/gpu_bench.sh unpack || exit 1
export LD_LIBRARY_PATH="$PWD/.gpu/usr/lib/x86_64-linux-gnu" PATH="/usr/local/cuda/bin:$PATH"
M=.gpu/runfiles/blockfuse/models/efficientnet_b0
NCU="ncu --profile-from-start off --cache-control none --clock-control none"
for side in A=.gpu/bin/gpu_bench_base B=.gpu/bin/gpu_bench; do
  n=${side%%=*} bin=${side#*=}
  cuobjdump -sass -fun '_ZN2bf13mbconv_kernelILi1ELi3ELi256EEEv16cuda_mbconv_args' $bin >"$OUT/sass_$n.txt" 2>&1
  echo "$n: $(grep -c LDL "$OUT/sass_$n.txt") LDL, $(grep -c STL "$OUT/sass_$n.txt") STL"
  for skip in 0 3; do
    timeout 120 $NCU -k "regex:mbconv_kernel" --launch-skip $skip --launch-count 1 --section SpeedOfLight \
      --section WarpStateStats --section SourceCounters --section InstructionStats -o "$OUT/r" \
      $bin $M --batches 256 --ncu-batch 256 >/dev/null 2>&1
    ncu -i "$OUT/r.ncu-rep" --page details --section SpeedOfLight | grep -E "Duration|SM Busy|Memory Through"
    ncu -i "$OUT/r.ncu-rep" --page source --csv --print-source sass >"$OUT/src.csv" &&
      python3 bench/ncu_source.py "$OUT/src.csv" 0.7 >"$OUT/src_${n}$skip.txt"
    head -3 "$OUT/src_${n}$skip.txt"
    rm -f "$OUT/r.ncu-rep" "$OUT/src.csv"
  done
  xz -9 "$OUT/sass_$n.txt"
done
