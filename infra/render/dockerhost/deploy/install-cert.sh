#!/usr/bin/env bash
# certbot deploy hook: copy the renewed certificate where nginx reads it, then reload nginx.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
install -m 0644 "/etc/letsencrypt/live/${DOMAIN:?}/fullchain.pem" "$LIVE/tls/fullchain.pem"
install -m 0600 "/etc/letsencrypt/live/$DOMAIN/privkey.pem" "$LIVE/tls/privkey.pem"
compose exec -T nginx nginx -s reload
log "certificate for $DOMAIN installed"
