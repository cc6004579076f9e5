#!/usr/bin/env bash
# Tools with their own install trees under .tools/<tool>/ (gitignored). Idempotent; bin/bootstrap --system runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

# LogQL parser (Grafana's own grammar): tests parse every shipped LogQL query with it.
if [[ ! -f .tools/logql/node_modules/@grafana/lezer-logql/package.json ]]; then
  command -v npm >/dev/null 2>&1 || { SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"; $SUDO apt-get install -y -qq npm >/dev/null; }
  mkdir -p .tools/logql
  npm install --silent --no-audit --no-fund --no-save --prefix .tools/logql @grafana/lezer-logql@0.4.2
fi

# checkov (Kubernetes manifests): its dependency pins clash with the main venv, so it gets its own.
[[ -x .tools/checkov/bin/checkov ]] || { uv venv -q .tools/checkov && uv pip install -q --python .tools/checkov/bin/python checkov==3.2.495; }
