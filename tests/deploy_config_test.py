"""Structural checks of deploy/: the Kubernetes manifests, the Dockerfile and
the systemd unit, against each other and against `blockfuse serve` itself.

usage: deploy_config_test.py RUNFILES_ROOT BLOCKFUSE_BINARY
Exits 1 with one line per broken rule.
"""
import os
import re
import subprocess
import sys

import yaml

ROOT, BIN = sys.argv[1], sys.argv[2]
failures = []


def need(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


# ---- what the daemon accepts -------------------------------------------------
help_text = subprocess.run([BIN, "serve", "--help"], capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin"}, check=True).stdout
options = re.findall(r"^\s+--([a-z0-9-]+)\s", help_text, re.M)
need(len(options) >= 10, f"`blockfuse serve --help` lists only {len(options)} options")
defaults = dict(re.findall(r"^\s+--([a-z0-9-]+)\s.*\(default: ([^)]*)\)$", help_text, re.M))
ENV_NAMES = {"BLOCKFUSE_" + o.upper().replace("-", "_") for o in options}

ops_doc = read("docs/operations.md")
for o in options:
    need(f"`--{o}`" in ops_doc, f"docs/operations.md does not document --{o}")


def check_env(where, env):
    """Every BLOCKFUSE_* name must be an option, and serve must accept the values."""
    for k in env:
        if k.startswith("BLOCKFUSE_"):
            need(k in ENV_NAMES, f"{where}: {k} is not an option of blockfuse serve "
                 f"(the daemon would silently ignore it)")
    clean = {k: v for k, v in env.items() if k in ENV_NAMES}
    clean["PATH"] = "/usr/bin:/bin"
    # --help parses defaults, file and environment first: a bad value fails it.
    r = subprocess.run([BIN, "serve", "--help"], capture_output=True, text=True, env=clean)
    need(r.returncode == 0, f"{where}: blockfuse serve rejects these settings: {r.stderr.strip()}")


def grace_of(env):
    return int(env.get("BLOCKFUSE_GRACE_PERIOD_S", defaults.get("grace-period-s", "30")))


def port_of(env):
    return int(env.get("BLOCKFUSE_PORT", defaults.get("port", "8000")))


# ---- systemd -----------------------------------------------------------------
unit = read("deploy/systemd/blockfuse.service")
sd_env = {}
for line in read("deploy/systemd/blockfuse.env").splitlines():
    line = line.strip()
    if line and not line.startswith("#"):
        k, _, v = line.partition("=")
        sd_env[k] = v
check_env("systemd/blockfuse.env", sd_env)


def unit_value(key):
    m = re.findall(rf"^{key}=(.*)$", unit, re.M)
    return m[-1].strip() if m else None


for key, want in [("Type", "notify"), ("DynamicUser", "yes"), ("ProtectSystem", "strict"),
                  ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("NoNewPrivileges", "yes"),
                  ("CapabilityBoundingSet", ""), ("DevicePolicy", "closed"),
                  ("Restart", "on-failure"), ("NotifyAccess", "main")]:
    need(unit_value(key) == want, f"unit: {key}={unit_value(key)!r}, want {want!r}")
need(unit_value("EnvironmentFile") == "/etc/blockfuse/blockfuse.env", "unit: EnvironmentFile")
allows = re.findall(r"^DeviceAllow=(\S+)", unit, re.M)
need(allows and all("nvidia" in a for a in allows), f"unit: DeviceAllow beyond nvidia: {allows}")
need(unit_value("WatchdogSec") is not None, "unit: WatchdogSec unset (the daemon pings it)")
stop = unit_value("TimeoutStopSec") or ""
need(stop.endswith("s") and int(stop[:-1]) >= grace_of(sd_env) + 5,
     f"unit: TimeoutStopSec={stop} must exceed the drain grace {grace_of(sd_env)} s + 5")

# ---- Dockerfile ----------------------------------------------------------------
docker = read("deploy/container/Dockerfile")
joined = re.sub(r"\\\n", " ", docker)
froms = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", joined, re.M)
need(len(froms) == 2, f"Dockerfile: want 2 stages, got {len(froms)}")
if len(froms) == 2:
    need(re.fullmatch(r"nvidia/cuda:\$\{CUDA_VERSION\}-devel-ubuntu\$\{UBUNTU_VERSION\}",
                      froms[0][0]), f"Dockerfile: build stage base {froms[0][0]}")
    need(re.fullmatch(r"nvidia/cuda:\$\{CUDA_VERSION\}-runtime-ubuntu\$\{UBUNTU_VERSION\}",
                      froms[1][0]), f"Dockerfile: runtime base {froms[1][0]} must match the devel one")
runtime = joined.split("\nFROM ")[-1]
need("./bazelw build" in joined, "Dockerfile: not built with ./bazelw")
user = re.findall(r"^USER\s+(\S+)", runtime, re.M)
uid = user[-1].split(":")[0] if user else "0"
need(uid.isdigit() and int(uid) > 0, f"Dockerfile: USER {user} must be a numeric non-root uid")
docker_env = {}
for m in re.finditer(r"^ENV\s+(.*)$", runtime, re.M):
    for k, v in re.findall(r"(\w+)=(\S+)", m.group(1)):
        docker_env[k] = v
check_env("Dockerfile ENV", docker_env)
hc = re.search(r"^HEALTHCHECK\s.*CMD\s+(.*)$", runtime, re.M)
need(hc and "/v2/health/ready" in hc.group(1), "Dockerfile: HEALTHCHECK must probe /v2/health/ready")
expose = re.findall(r"^EXPOSE\s+(\d+)", runtime, re.M)
need(expose == [str(port_of(docker_env))], f"Dockerfile: EXPOSE {expose} vs port {port_of(docker_env)}")
need(re.search(r"^COPY --from=build .*models", runtime, re.M), "Dockerfile: model not baked in")
need(re.search(r"^ENTRYPOINT \[\"/usr/local/bin/blockfuse\"\]", runtime, re.M), "Dockerfile: ENTRYPOINT")
need(re.search(r"^CMD \[\"serve\"", runtime, re.M), "Dockerfile: CMD must start with serve")

# ---- Kubernetes ------------------------------------------------------------------
docs = {}
kdir = os.path.join(ROOT, "deploy/kubernetes")
for name in sorted(os.listdir(kdir)):
    if name.endswith(".yaml"):
        for d in yaml.safe_load_all(read(f"deploy/kubernetes/{name}")):
            if d and "kind" in d and d["kind"] != "Kustomization":
                need("metadata" in d and d["metadata"].get("name"), f"{name}: no metadata.name")
                docs[d["kind"]] = d
for kind in ["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ConfigMap"]:
    need(kind in docs, f"kubernetes: no {kind}")

dep = docs.get("Deployment", {})
spec = dep.get("spec", {})
tmpl = spec.get("template", {})
pod_labels = tmpl.get("metadata", {}).get("labels", {})
pod = tmpl.get("spec", {})
sel = spec.get("selector", {}).get("matchLabels", {})
need(sel and all(pod_labels.get(k) == v for k, v in sel.items()), "Deployment: selector vs labels")
containers = pod.get("containers", [])
need(len(containers) == 1, "Deployment: want exactly one container (one process per GPU)")
c = containers[0] if containers else {}
limits = c.get("resources", {}).get("limits", {})
need(int(limits.get("nvidia.com/gpu", 0)) == 1, "Deployment: limits nvidia.com/gpu must be 1")
ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
cm_env = docs.get("ConfigMap", {}).get("data", {})
refs = [e.get("configMapRef", {}).get("name") for e in c.get("envFrom", [])]
need(docs.get("ConfigMap", {}).get("metadata", {}).get("name") in refs,
     "Deployment: envFrom does not reference the ConfigMap")
env = dict(cm_env)
env.update({e["name"]: e.get("value", "") for e in c.get("env", [])})
check_env("kubernetes ConfigMap/env", env)
need(ports.get("http") == port_of(env), f"Deployment: port http {ports.get('http')} vs {port_of(env)}")


def probe_ok(probe, path):
    g = (c.get(probe) or {}).get("httpGet", {})
    return g.get("path") == path and (g.get("port") in ports or g.get("port") in ports.values())


need(probe_ok("readinessProbe", "/v2/health/ready"), "Deployment: readinessProbe /v2/health/ready")
need(probe_ok("livenessProbe", "/v2/health/live"), "Deployment: livenessProbe /v2/health/live")
pre = c.get("lifecycle", {}).get("preStop", {})
cmd = pre.get("exec", {}).get("command", [])
pre_s = int(cmd[1]) if len(cmd) == 2 and cmd[0] == "sleep" else pre.get("sleep", {}).get("seconds")
need(pre_s is not None, "Deployment: preStop must sleep")
tgps = pod.get("terminationGracePeriodSeconds", 30)
need(pre_s is not None and tgps >= pre_s + grace_of(env) + 5,
     f"Deployment: terminationGracePeriodSeconds {tgps} < preStop {pre_s} + grace {grace_of(env)} + 5")
ann = tmpl.get("metadata", {}).get("annotations", {})
need(ann.get("prometheus.io/scrape") == "true", "Deployment: prometheus.io/scrape")
need(ann.get("prometheus.io/path") == "/metrics", "Deployment: prometheus.io/path")
need(ann.get("prometheus.io/port") == str(ports.get("http")), "Deployment: prometheus.io/port")
sc = pod.get("securityContext", {})
need(sc.get("runAsNonRoot") is True and str(sc.get("runAsUser")) == uid,
     f"Deployment: runAsNonRoot/runAsUser must match the image's USER {uid}")

svc = docs.get("Service", {}).get("spec", {})
need(all(pod_labels.get(k) == v for k, v in svc.get("selector", {}).items()) and svc.get("selector"),
     "Service: selector does not match the pods")
for p in svc.get("ports", []):
    need(p.get("targetPort") in ports or p.get("targetPort") in ports.values(),
         f"Service: targetPort {p.get('targetPort')} is not a container port")
hpa = docs.get("HorizontalPodAutoscaler", {}).get("spec", {})
tgt = hpa.get("scaleTargetRef", {})
need(tgt.get("kind") == "Deployment" and tgt.get("name") == dep.get("metadata", {}).get("name"),
     "HPA: scaleTargetRef is not the Deployment")
need(1 <= hpa.get("minReplicas", 1) <= hpa.get("maxReplicas", 0), "HPA: min/max replicas")
pdb = docs.get("PodDisruptionBudget", {}).get("spec", {})
need(all(pod_labels.get(k) == v for k, v in pdb.get("selector", {}).get("matchLabels", {}).items())
     and pdb.get("selector"), "PDB: selector does not match the pods")

for f in failures:
    print("FAIL", f)
print(f"deploy_config_test.py: {len(failures)} problem(s)")
sys.exit(1 if failures else 0)
