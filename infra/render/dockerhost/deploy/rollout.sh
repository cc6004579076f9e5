#!/usr/bin/env bash
# Health-gated rolling update of the compose project to the release in DIR:
#   install the release (files, env files and secrets) -> pull images -> support services ->
#   migrate -> API replicas one at a time -> workers -> nginx -> leftovers -> `current` -> DIR.
# Each API replica: drain (out of nginx's upstream, reload, wait until nginx has no request in
# flight to it), recreate, then gates: Docker's healthcheck (liveness), readiness on the replica's
# own address; it joins the upstream with the next reload, and readiness through the edge follows.
# If any gate fails, the previous release (releases/PREVIOUS: files, env files and secrets) is
# put back the same way, without migrate (migrations are expand/contract: the old image runs
# against the new schema).
# usage: rollout.sh RELEASE_DIR     (RELEASE_DIR: files/, release.env, secrets/, docker/)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
UPSTREAM_FILE=${UPSTREAM_FILE:-$LIVE/nginx/upstream/api.conf}

new=${1:?usage: rollout.sh RELEASE_DIR}
prev_version=$(current_version)

# Copy a release's files, env files and secrets into the live directory in place: bind-mounted
# files keep their inode, so nginx and Prometheus see the new content on reload; compose reads
# the env files when it (re)creates a container.
install_release() {
  local src=$1 f sub
  (cd "$src/files" && find . -type f) | while read -r f; do
    mkdir -p "$LIVE/$(dirname "$f")"
    cat "$src/files/$f" >"$LIVE/$f"
  done
  for sub in secrets docker; do
    [ -d "$src/$sub" ] || continue
    mkdir -p "$LIVE/$sub" && chmod 700 "$LIVE/$sub"
    (cd "$src" && find "$sub" -type f) | while read -r f; do
      mkdir -p "$LIVE/$(dirname "$f")"
      (umask 077 && cat "$src/$f" >"$LIVE/$f")
      chmod --reference="$src/$f" "$LIVE/$f"
    done
  done
}

# switch_current VERSION: point releases/current at VERSION in one rename.
switch_current() {
  ln -sfn "$1" "$RELEASES/.current.new"
  mv -T "$RELEASES/.current.new" "$RELEASES/current"
}

reload_edge() {
  compose exec -T nginx nginx -s reload
}

# write_upstreams [LEAVE_OUT]: the API replicas in rotation, by address (one rename).
write_upstreams() {
  local leave_out=${1:-} svc address lines=""
  for svc in $API_SERVICES; do
    [ "$svc" != "$leave_out" ] || continue
    address=$(replica_address "$svc")
    [ -z "$address" ] || lines+="server $address:$API_PORT max_fails=0;"$'\n'
  done
  if [ -z "$lines" ]; then
    # A single replica cannot be drained: it stays until it is replaced (that update has downtime).
    if [ -n "$leave_out" ]; then write_upstreams; return; fi
    lines="server 127.0.0.1:$API_PORT down;"$'\n'  # no replica yet (first start)
  fi
  mkdir -p "$(dirname "$UPSTREAM_FILE")"
  printf '%s' "$lines" >"$UPSTREAM_FILE.new"
  mv -f "$UPSTREAM_FILE.new" "$UPSTREAM_FILE"
}

# nginx_workers: PIDs of the nginx worker processes (inside the nginx container).
nginx_workers() {
  # shellcheck disable=SC2016  # expanded by the container's shell
  compose exec -T nginx sh -c 'for p in /proc/[0-9]*; do grep -qs "worker process" "$p/cmdline" && echo "${p#/proc/}"; done; true' \
    | tr -d '\r' | tr '\n' ' '
}

# still_running PID...: how many of these processes exist (inside the nginx container).
still_running() {
  # shellcheck disable=SC2016
  compose exec -T nginx sh -c 'n=0; for p; do [ -d "/proc/$p" ] && n=$((n + 1)); done; echo $n' sh "$@" | tr -d '\r'
}

# drain NAME: no new request reaches NAME, and none is in flight to it. nginx's workers of the old
# configuration finish their requests and exit after a reload: wait for exactly those (bounded
# by API_STOP_GRACE, the time the replica would get after SIGTERM anyway).
drain() {
  local old deadline=$((SECONDS + API_STOP_GRACE))
  old=$(nginx_workers)
  write_upstreams "$1"
  reload_edge || return 1
  # shellcheck disable=SC2086  # a list of PIDs
  while [ -n "$old" ] && [ "$(still_running $old)" != 0 ]; do
    ((SECONDS < deadline)) || { log "nginx still has requests in flight to $1 after ${API_STOP_GRACE}s"; return 0; }
    sleep 0.2
  done
}

# into_rotation: every API replica (by its current address) in the upstream, nginx reloaded.
into_rotation() {
  write_upstreams
  reload_edge
}

# apply DIR [rollback]
apply() {
  local dir=$1 mode=${2:-} svc
  install_release "$dir" || return 1
  # shellcheck source=/dev/null
  . "$dir/release.env"  # VERSION API_SERVICES WORKER_SERVICES SUPPORT_SERVICES API_PORT API_STOP_GRACE READY_PATH
  if [ "$mode" = rollback ]; then
    compose pull -q --ignore-pull-failures || true  # the previous images are still in the local cache
  else
    compose pull -q || return 1
  fi
  if [ -z "$prev_version" ]; then
    log "first release $VERSION: starting everything"
    # compose starts migrate first and the rest only after it completed (depends_on conditions).
    write_upstreams  # nginx needs the file to start; addresses follow once the replicas are ready
    compose up -d --remove-orphans || return 1
    for svc in $API_SERVICES; do
      wait_healthy "$svc" && replica_ready "$svc" "$API_PORT" || return 1
    done
    into_rotation || return 1
    for svc in $WORKER_SERVICES nginx; do
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
  # One reload per replica: the drain of the next one also brings the one replaced before into
  # rotation (every reload closes the edge's idle client connections, so there are as few as possible).
  local replaced=""
  for svc in $API_SERVICES; do
    log "replace $svc"
    drain "$svc" || return 1
    if [ -n "$replaced" ]; then edge_ok || return 1; fi  # $replaced serves through the edge
    compose up -d --no-deps "$svc" || return 1
    # A replica that fails a gate is not in the upstream: the others keep serving.
    wait_healthy "$svc" || return 1
    replica_ready "$svc" "$API_PORT" || return 1
    replaced=$svc
  done
  into_rotation || return 1
  edge_ok || return 1
  for svc in $WORKER_SERVICES; do
    log "replace $svc"
    compose up -d --no-deps "$svc" || return 1
    wait_healthy "$svc" || return 1
  done
  compose up -d --no-deps nginx || return 1  # recreated only when its definition changed
  edge_ok || return 1
  compose up -d --remove-orphans || return 1
}

# shellcheck source=/dev/null
. "$new/release.env"
target=$VERSION
if apply "$new"; then
  switch_current "$target"
  rm -f "$RELEASES/failed"
  log "release $target is live"
  exit 0
fi
log "release $target failed its health gates"
echo "$target" >"$RELEASES/failed"
if [ -n "$prev_version" ] && [ -d "$RELEASES/$prev_version" ]; then
  log "restoring release $prev_version (files, env files and secrets)"
  if apply "$RELEASES/$prev_version" rollback; then
    log "release $prev_version restored"
  else
    log "ROLLBACK FAILED: release $prev_version did not pass its health gates"
  fi
fi
exit 1
