#!/usr/bin/env bash
# README's demo command (`./bazelw run //:demo`) really classifies the two
# bundled photos: panda.jpg's top-1 is "giant panda" and car.jpg's is
# "sports car", each above 0.5, and the command exits 0.
set -euo pipefail
demo="$RUNFILES_DIR/blockfuse/server/demo"
out=$("$demo" --backend cpu --threads 2)
echo "$out"
top1() { echo "$out" | grep -A1 "/$1\$" | tail -1; }
fail() { echo "FAIL: $*" >&2; exit 1; }
p=$(top1 panda.jpg)
c=$(top1 car.jpg)
case "$p" in *"giant panda"*) ;; *) fail "panda.jpg top-1 is '$p'" ;; esac
case "$c" in *"sports car"*) ;; *) fail "car.jpg top-1 is '$c'" ;; esac
for line in "$p" "$c"; do
  awk -v v="$(echo "$line" | awk '{print $1}')" 'BEGIN { exit !(v > 0.5) }' || fail "low confidence: $line"
done
# arguments reach classify: a bad flag is refused with a message and exit 2
if "$demo" --no-such-flag >/dev/null 2>&1; then fail "bad flag accepted"; fi
echo PASS
