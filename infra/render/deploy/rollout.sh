#!/usr/bin/env bash
# Health-gated rolling update of the compose project to the release in DIR:
#   pull images -> support services -> migrate -> API replicas one at a time (the next only
#   when the previous is healthy behind nginx) -> workers -> nginx config -> leftovers.
# If any gate fails, the previous release is put back the same way (without migrate:
# migrations are expand/contract, the old image runs against the new schema).
# usage: rollout.sh RELEASE_DIR     (RELEASE_DIR has files/ and release.env)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

new=${1:?usage: rollout.sh RELEASE_DIR}
prev_version=$(cat "$RELEASES/current" 2>/dev/null || true)

# Copy a release's files into the live directory in place: bind-mounted files keep their inode,
# so nginx and Prometheus see the new content on reload.
install_release() {
  local dir=$1/files f
  (cd "$dir" && find . -type f) | while read -r f; do
    mkdir -p "$LIVE/$(dirname "$f")"
    cat "$dir/$f" >"$LIVE/$f"
  done
}

reload_edge() {
  compose exec -T nginx nginx -s reload
}

# apply DIR [rollback]
apply() {
  local dir=$1 mode=${2:-}
  install_release "$dir" || return 1
  # shellcheck source=/dev/null
  . "$dir/release.env"  # VERSION API_SERVICES WORKER_SERVICES SUPPORT_SERVICES
  if [ "$mode" = rollback ]; then
    compose pull -q --ignore-pull-failures || true  # the previous images are still in the local cache
  else
    compose pull -q || return 1
  fi
  if [ -z "$prev_version" ]; then
    log "first release $VERSION: starting everything"
    # compose starts migrate first and the rest only after it completed (depends_on conditions).
    compose up -d --remove-orphans || return 1
    local svc
    for svc in $API_SERVICES $WORKER_SERVICES nginx; do
      wait_healthy "$svc" || return 1
    done
    edge_ok || return 1
    return 0
  fi
  # shellcheck disable=SC2086  # service lists are space separated
  compose up -d --no-deps $SUPPORT_SERVICES || return 1
  if [ "$mode" != rollback ]; then
    log "migrate $VERSION"
    compose run --rm --no-deps migrate || { log "migrate failed"; return 1; }
  fi
  local svc
  for svc in $API_SERVICES; do
    log "replace $svc"
    compose up -d --no-deps "$svc" || return 1
    wait_healthy "$svc" || return 1
    reload_edge || return 1  # nginx resolves upstream names at (re)load: pick up the new address
    edge_ok || return 1
  done
  for svc in $WORKER_SERVICES; do
    log "replace $svc"
    compose up -d --no-deps "$svc" || return 1
    wait_healthy "$svc" || return 1
  done
  compose up -d --no-deps nginx || return 1
  reload_edge || return 1
  edge_ok || return 1
  compose up -d --remove-orphans || return 1
}

# shellcheck source=/dev/null
. "$new/release.env"
target=$VERSION
if apply "$new"; then
  echo "$target" >"$RELEASES/current"
  rm -f "$RELEASES/failed"
  log "release $target is live"
  exit 0
fi
log "release $target failed its health gates"
echo "$target" >"$RELEASES/failed"
if [ -n "$prev_version" ] && [ -d "$RELEASES/$prev_version" ]; then
  log "restoring release $prev_version"
  if apply "$RELEASES/$prev_version" rollback; then
    log "release $prev_version restored"
  else
    log "ROLLBACK FAILED: release $prev_version did not pass its health gates"
  fi
fi
exit 1
