#!/usr/bin/env bash
# Seventeenth session, call 1: where batch 256's time goes per kernel at 9b6e233 (nsys timeline
# of graph replays at 256 and 64; Nsight Compute's per-launch table at 256). On the GPU host,
# repo root, .gpu/ carried (staged from 9b6e233).
date -u +%FT%TZ
OUT=$OUT BATCHES="256 64" NCU_BATCHES="256" bash bench/gpu_profile.sh 2>&1 | tail -12
python3 - "$OUT/nsys_B256.csv" <<'PY'
import csv, sys, collections
rows = list(csv.DictReader(open(sys.argv[1])))
print(len(rows), "rows; columns:", list(rows[0].keys())[:12] if rows else None)
PY
cat "$OUT/ncu_table_B256.txt"
date -u +%FT%TZ
