#!/usr/bin/env bash
# Restore Redis from a backup: restore-redis.sh STAMP (as listed under backups/redis/).
# Redis with `appendonly yes` ignores dump.rdb when no AOF exists, so the snapshot is loaded by a
# temporary Redis with AOF off, which then writes a fresh AOF from memory; then the service starts.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
stamp=${1:?usage: restore-redis.sh STAMP (see: aws s3 ls s3://BUCKET/backups/redis/)}
[ -n "$(redis_service)" ] || { log "no Redis container (redis.url): restore it with its provider"; exit 1; }
VOLUME=${REDIS_VOLUME:-ai-service_redis-data}
WORK=$(mktemp -d)
export WORK
trap 'rm -rf "$WORK"' EXIT

redis_tmp() { docker exec redis-restore redis-cli "$@" 2>/dev/null | tr -d '\r'; }
until_true() {  # until_true WHAT COMMAND...: poll for up to 10 minutes
  local what=$1 deadline=$((SECONDS + 600))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || { log "timed out waiting for $what"; exit 1; }
    sleep 1
  done
}

s3 cp --quiet "s3://${S3_BUCKET:?}/backups/redis/$stamp.rdb" /work/dump.rdb
image=$(docker inspect -f '{{.Config.Image}}' redis)
compose stop redis
data=$(docker volume inspect -f '{{.Mountpoint}}' "$VOLUME")
rm -rf "$data/appendonlydir"
install -m 0644 "$WORK/dump.rdb" "$data/dump.rdb"
chown --reference="$data" "$data/dump.rdb"

docker run -d --rm --name redis-restore -v "$VOLUME:/data" "$image" redis-server --appendonly no --save "" >/dev/null
until_true "the snapshot to load" test "$(redis_tmp ping)" = PONG
redis_tmp CONFIG SET appendonly yes >/dev/null
aof_written() { redis_tmp INFO persistence | grep -q '^aof_enabled:1' && redis_tmp INFO persistence | grep -q '^aof_rewrite_in_progress:0' \
  && ! redis_tmp INFO persistence | grep -q '^aof_rewrite_scheduled:1'; }
until_true "the AOF rewrite" aof_written
log "snapshot loaded: $(redis_tmp DBSIZE) keys"
redis_tmp SHUTDOWN >/dev/null || true
docker wait redis-restore >/dev/null 2>&1 || true

compose up -d --no-deps redis
wait_healthy redis
log "redis restored from backups/redis/$stamp.rdb"
