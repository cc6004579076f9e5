#!/usr/bin/env bash
# Host settings of a release (host/host.env, host/authorized_keys): the admin user and its SSH key,
# SSH allowed only from SSH_ALLOWED_CIDRS (ufw; the cloud firewall says the same), and a
# self-signed certificate for DOMAIN until Let's Encrypt's replaces it. Idempotent; applied by the
# agent before each rollout. These live in the release, not in user_data, so editing them never
# replaces the droplet. usage: host.sh RELEASE_DIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
dir=${1:?usage: host.sh RELEASE_DIR}/files/host
# shellcheck source=/dev/null
. "$dir/host.env"  # ADMIN_USER SSH_ALLOWED_CIDRS DOMAIN LETSENCRYPT_EMAIL

if ! id -u "${ADMIN_USER:?}" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash --groups sudo,docker "$ADMIN_USER"
  log "admin user $ADMIN_USER created"
fi
echo "$ADMIN_USER ALL=(ALL) NOPASSWD:ALL" >"$SUDOERS_DIR/90-ai-service-admin"
chmod 0440 "$SUDOERS_DIR/90-ai-service-admin"
home=$(getent passwd "$ADMIN_USER" | cut -d: -f6)
install -d -m 0700 "$home/.ssh"
install -m 0600 "$dir/authorized_keys" "$home/.ssh/authorized_keys"
chown -R "$ADMIN_USER:" "$home/.ssh"

# SSH rules: add the configured ranges, then delete the ones applied before and no longer listed.
applied=$HOST_STATE/ssh-cidrs
touch "$applied"
for cidr in $SSH_ALLOWED_CIDRS; do
  ufw allow from "$cidr" to any port 22 proto tcp >/dev/null
done
while read -r cidr; do
  [[ " $SSH_ALLOWED_CIDRS " == *" $cidr "* ]] || { ufw delete allow from "$cidr" to any port 22 proto tcp >/dev/null; log "SSH closed for $cidr"; }
done <"$applied"
# shellcheck disable=SC2086  # one CIDR per line
printf '%s\n' $SSH_ALLOWED_CIDRS >"$applied"

cp "$dir/host.env" "$HOST_ENV.tmp" && mv -f "$HOST_ENV.tmp" "$HOST_ENV"  # DOMAIN for certbot and its hook
if [ -n "${DOMAIN:-}" ] && [ ! -s "$LIVE/tls/fullchain.pem" ]; then
  # nginx must start before the first Let's Encrypt certificate exists.
  mkdir -p "$LIVE/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$DOMAIN" \
    -keyout "$LIVE/tls/privkey.pem" -out "$LIVE/tls/fullchain.pem" 2>/dev/null
  log "self-signed certificate for $DOMAIN until Let's Encrypt answers"
fi
log "host settings applied (admin $ADMIN_USER, SSH from: $SSH_ALLOWED_CIDRS)"
