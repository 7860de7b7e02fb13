#!/usr/bin/env bash
# Validates the manifests here against the Kubernetes API's JSON schemas,
# offline from a cluster: installs the npm packages kubernetes-models (the
# API's OpenAPI schemas) and yaml into a temporary folder, then checks every
# document of every *.yaml but kustomization.yaml.
#   deploy/kubernetes/validate.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund \
  kubernetes-models@5.1.0 yaml@2.9.1 >/dev/null)
cat > "$tmp/validate.mjs" <<'JS'
import { readFileSync, readdirSync } from "node:fs";
import { parseAllDocuments } from "yaml";
const dir = process.argv[2];
let bad = 0, n = 0;
for (const f of readdirSync(dir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")) {
  for (const doc of parseAllDocuments(readFileSync(`${dir}/${f}`, "utf8"))) {
    if (doc.errors.length) { console.error(`${f}: ${doc.errors[0].message}`); bad++; continue; }
    const obj = doc.toJS();
    const mod = await import(`kubernetes-models/${obj.apiVersion}`);
    const Model = mod[obj.kind];
    if (!Model) { console.error(`${f}: unknown kind ${obj.apiVersion} ${obj.kind}`); bad++; continue; }
    try {
      new Model(obj).validate();
      console.log(`ok   ${f}: ${obj.kind} ${obj.metadata.name}`);
      n++;
    } catch (e) {
      console.error(`FAIL ${f}: ${obj.kind}: ${e.message}`);
      bad++;
    }
  }
}
console.log(`${n} passed, ${bad} failed`);
process.exit(bad ? 1 : 0);
JS
cd "$tmp" && node validate.mjs "$here"
