#!/usr/bin/env bash
# Session 36 call 4 (branch wgx-taps 2nd commit): s36c3's racecheck of test_mbconv_wgx reported 76
# hazards. Which accesses: racecheck with every hazard printed, the distinct pairs of PCs, and
# the SASS around each PC (cuobjdump of the test binary).
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
BLOCKFUSE_TEST_FILTER=test_mbconv_wgx timeout 200 compute-sanitizer --tool racecheck --racecheck-report hazard \
  --print-limit 400 .gpu/bin/gpu_kernels_test >"$OUT/race.log" 2>&1
echo "racecheck rc=$?"
grep -E "SUMMARY" "$OUT/race.log"
grep -m 30 -B2 -A14 "Error: Race" "$OUT/race.log" | head -60
grep -oE "mbconv_wgx_kernel<[^>]*>[^ ]*\+0x[0-9a-f]+" "$OUT/race.log" | sort | uniq -c | sort -rn | head -20
cuobjdump -sass .gpu/bin/gpu_kernels_test > /tmp/all.sass 2>/dev/null; echo "sass lines $(wc -l < /tmp/all.sass)"
python3 - "$OUT/race.log" <<'PY'
import re, sys
log = open(sys.argv[1]).read()
hits = sorted(set(re.findall(r'mbconv_wgx_kernel<(\d+), (\d+), (\d+), (true|false)>[^ ]*\+0x([0-9a-f]+)', log)))[:16]
sass = open('/tmp/all.sass').read().split('\n')
for k, w, s, tp, off in hits:
    key = 'mbconv_wgx_kernelILi%sELi%sELi%sELb%dE' % (k, w, s, tp == 'true')
    print('== %s +0x%s' % (key, off))
    cur = None
    for i, l in enumerate(sass):
        if 'Function :' in l: cur = l
        if cur and key in cur and re.search(r'/\*%04x\*/' % int(off, 16), l):
            print('\n'.join(x.strip()[:110] for x in sass[max(0, i - 10):i + 3])); break
PY
