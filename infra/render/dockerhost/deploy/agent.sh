#!/usr/bin/env bash
# Pull-based deploy agent (systemd timer, every minute): fetch the release manifest that
# `pulumi up` wrote to the bucket; when its version is new, stage it with its secrets as
# releases/VERSION/ next to the live one, apply its host settings (host.sh) and roll it out
# (rollout.sh). A release that failed its health gates is not retried until a newer one is published.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
KEEP_RELEASES=${KEEP_RELEASES:-3}

WORK=$(mktemp -d)
export WORK
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$RELEASES" "$LIVE"
chmod 700 "$RELEASES"  # releases hold secrets

s3 cp --quiet "s3://${S3_BUCKET:?}/releases/manifest.json" /work/manifest.json
version=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' "$WORK/manifest.json")
if [ "$version" = "$(current_version)" ] || [ "$version" = "$(cat "$RELEASES/failed" 2>/dev/null)" ]; then
  exit 0
fi
log "new release $version"
s3 cp --quiet "s3://$S3_BUCKET/releases/secrets.json" /work/secrets.json

# Stage: releases/VERSION/{files/, release.env, secrets/, docker/}, complete or absent (rename).
# The live release's directory is never written: a rollback finds all of it, secrets included.
stage="$RELEASES/.staging-$version"
rm -rf "$stage"
python3 - "$WORK/manifest.json" "$WORK/secrets.json" "$stage" <<'PY'
import json, os, sys
manifest, secrets, dest = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
def write(root, rel, text, mode):
    if rel.startswith("/") or ".." in rel.split("/"):
        sys.exit(f"refusing path outside the release: {rel}")
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, mode)
for rel, text in manifest["files"].items():
    write(os.path.join(dest, "files"), rel, text, 0o644)
write(dest, "release.env", manifest["release_env"], 0o644)
for rel, text in secrets["files"].items():
    # Env files and the registry login are read by root (compose, docker): 0600. Files mounted
    # into non-root containers (Grafana, Alertmanager) must be readable by their uid: 0644, but
    # only reachable through 0700 directories.
    root_only = rel.endswith(".env") or rel.startswith("docker/")
    write(dest, rel, text, 0o600 if root_only else 0o644)
PY
for sub in secrets docker; do [ ! -d "$stage/$sub" ] || chmod 700 "$stage/$sub"; done
if [ "$version" != "$(current_version)" ]; then rm -rf "${RELEASES:?}/$version"; fi
mv -T "$stage" "$RELEASES/$version"

# The deploy scripts travel with the release: later runs use the new copies.
install -m 0755 "$RELEASES/$version"/files/deploy/*.sh "$PROJECT_DIR/bin/"
"$PROJECT_DIR/bin/host.sh" "$RELEASES/$version"
status=0
"$PROJECT_DIR/bin/rollout.sh" "$RELEASES/$version" || status=$?

# Keep the live release, the one before it and the newest others; older ones (and their secrets) go.
live=$(current_version)
# shellcheck disable=SC2010,SC2012  # release directories are hex names
{ ls -1t "$RELEASES" | grep -E '^[0-9a-f]+$' | grep -vx "$live" | tail -n +"$KEEP_RELEASES" || true; } | while read -r old; do
  rm -rf "${RELEASES:?}/$old"
done
[ "$status" = 0 ] || exit "$status"

# First certificate once nginx answers the ACME challenge; certbot's timer renews it and the
# deploy hook copies it into live/tls and reloads nginx.
# shellcheck source=/dev/null
[ -r "$HOST_ENV" ] && . "$HOST_ENV"
if [ -n "${DOMAIN:-}" ] && [ ! -d "/etc/letsencrypt/live/$DOMAIN" ]; then
  certbot certonly --webroot -w "$LIVE/acme" -d "$DOMAIN" --email "${LETSENCRYPT_EMAIL:?}" \
    --agree-tos --non-interactive --deploy-hook "$PROJECT_DIR/bin/install-cert.sh" || log "certbot failed; retrying next run"
fi
