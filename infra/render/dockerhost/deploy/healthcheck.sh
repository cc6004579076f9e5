#!/usr/bin/env bash
# Host health check (systemd timer, every 5 minutes): API readiness through nginx, Redis,
# and queue depth. Exits non-zero naming what failed (the journal keeps the result).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
QUEUE_MAX=${QUEUE_MAX:-1000}
status=0
# shellcheck source=/dev/null
. "$RELEASES/current/release.env"  # READY_PATH, QUEUES, REDIS_SERVICE
edge_ok || status=1
if [ -z "${REDIS_SERVICE-redis}" ]; then
  QUEUES=""  # redis.url: readiness through the edge covers that Redis; its queues are not reachable from here
elif [ "$(compose exec -T redis redis-cli ping 2>/dev/null | tr -d '\r')" != PONG ]; then
  log "redis does not answer PING"
  status=1
fi
for queue in $QUEUES; do
  depth=$(compose exec -T redis redis-cli LLEN "rq:queue:$queue" | tr -d '\r')
  if [ "${depth:-0}" -gt "$QUEUE_MAX" ]; then
    log "queue $queue holds $depth jobs (more than $QUEUE_MAX)"
    status=1
  fi
done
[ "$status" = 0 ] && log "healthy"
exit "$status"
