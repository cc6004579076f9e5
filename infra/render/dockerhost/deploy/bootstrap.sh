#!/usr/bin/env bash
# The agent timer's entry point, written once by cloud-init. The deploy scripts travel with each
# release: on first boot none are installed yet, so fetch them from the release manifest once,
# then hand over to the release's agent.sh (which installs newer copies with every release).
# Kept small and stable on purpose: it is in the droplet's user_data, and changing it replaces
# the droplet. Its AWS CLI pin is used on first boot only (later runs use lib.sh's).
set -euo pipefail
AGENT_CONF=${AGENT_CONF:-/etc/ai-service/agent.conf}
# shellcheck source=/dev/null
. "$AGENT_CONF"
BIN=${PROJECT_DIR:?}/bin
if [ ! -x "$BIN/agent.sh" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  docker run --rm --env-file "${CREDENTIALS:-/etc/ai-service/credentials.env}" -e AWS_DEFAULT_REGION="${S3_REGION:?}" \
    -v "$work:/work" amazon/aws-cli:2.31.1 s3 cp --quiet "s3://${S3_BUCKET:?}/releases/manifest.json" /work/manifest.json
  python3 - "$work/manifest.json" "$BIN" <<'PY'
import json, os, sys
for rel, text in json.load(open(sys.argv[1]))["files"].items():
    name = rel.removeprefix("deploy/")
    if rel.startswith("deploy/") and "/" not in name and name.endswith(".sh"):
        path = os.path.join(sys.argv[2], name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
PY
fi
exec "$BIN/agent.sh"
