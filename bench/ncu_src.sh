#!/usr/bin/env bash
# Sourced by the Nsight Compute scripts (bench/gpu_profile.sh and the call scripts that read a
# report's source page): defines ncu_src.
#   ncu_src REP NAME [SHARE]: report REP's source page (SASS, csv) as $OUT/NAME.csv, summarised
#   per opcode and per run of equally executed instructions by bench/ncu_source.py (SHARE: its
#   cut, in % of the instructions) into $OUT/NAME.txt; then REP removed and the csv xz-packed.
ncu_src() {
  ncu -i "$1" --page source --csv --print-source sass >"$OUT/$2.csv" &&
    python3 bench/ncu_source.py "$OUT/$2.csv" ${3:+"$3"} >"$OUT/$2.txt"
  rm -f "$1"
  xz -f -9 "$OUT/$2.csv"
}
