#!/usr/bin/env bash
# Checks the deployment files without a systemd, Docker or Kubernetes to run
# them on:
#   1. systemd-analyze verify: the unit parses with no warning at all, and
#      systemd-analyze security keeps its exposure at or under 2.5/10;
#   2. tests/deploy_config_test.py: manifest structure, probes, drain timing,
#      and every BLOCKFUSE_* setting accepted by `blockfuse serve` itself.
set -euo pipefail
R="${TEST_SRCDIR:-$PWD/..}/blockfuse"
BIN="$R/server/blockfuse"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
fails=0
pass=0

check() { # name, then the command; prints PASS/FAIL
  local name=$1
  shift
  if "$@"; then
    echo "PASS $name"
    pass=$((pass + 1))
  else
    echo "FAIL $name"
    fails=$((fails + 1))
  fi
}

# systemd-analyze checks ExecStart= exists and is executable: point it at the
# binary under test. Everything else stays as shipped.
unit="$TMP/blockfuse.service"
sed -e "s#^ExecStart=/usr/local/bin/blockfuse#ExecStart=$BIN#" \
    -e "s#^ExecStartPre=/usr/local/bin/blockfuse#ExecStartPre=$BIN#" \
    -e "s#^EnvironmentFile=.*#EnvironmentFile=$R/deploy/systemd/blockfuse.env#" \
    "$R/deploy/systemd/blockfuse.service" > "$unit"
grep -q "^ExecStart=$BIN serve" "$unit" || { echo "FAIL ExecStart is not '/usr/local/bin/blockfuse serve'"; exit 1; }
# The unit's pre-start check is a real `serve --check` invocation: it must run
# clean with the shipped environment file's settings and the test's model.
pre=$(sed -n "s#^ExecStartPre=##p" "$unit")
[[ $pre == "$BIN serve --check 1" ]] || { echo "FAIL ExecStartPre is '$pre'"; exit 1; }
check_pre() {
  (set -a; . "$R/deploy/systemd/blockfuse.env"; set +a
   BLOCKFUSE_MODEL="$R/models/efficientnet_b0" BLOCKFUSE_BACKEND=cpu BLOCKFUSE_LOG_LEVEL=warn \
     $pre) | grep -q "^ok: model efficientnet_b0"
}

verify_clean() {
  local out
  out=$(systemd-analyze verify "$unit" 2>&1) || { echo "$out"; return 1; }
  [[ -z "$out" ]] || { echo "systemd-analyze verify printed:"; echo "$out"; return 1; }
}
security_ok() {
  systemd-analyze security --offline=yes --threshold=25 "$unit" > "$TMP/security.txt" 2>&1 \
    || { tail -40 "$TMP/security.txt"; return 1; }
  tail -1 "$TMP/security.txt"
}
if command -v systemd-analyze > /dev/null; then
  check "systemd-analyze verify (no output)" verify_clean
  check "systemd-analyze security exposure <= 2.5" security_ok
  check "ExecStartPre serve --check passes with blockfuse.env" check_pre
else
  echo "FAIL systemd-analyze not installed (apt-get install systemd; ./bazelw installs it)"
  fails=$((fails + 1))
fi

PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)
if "$PY" "$R/tests/deploy_config_test.py" "$R" "$BIN"; then
  pass=$((pass + 1))
else
  fails=$((fails + 1))
fi
echo "$pass passed, $fails failed"
[[ $fails -eq 0 ]]
