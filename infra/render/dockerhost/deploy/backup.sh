#!/usr/bin/env bash
# Daily Redis backup: BGSAVE, then copy the RDB snapshot to s3://BUCKET/backups/redis/.
# Retention is the bucket's lifecycle rule on backups/ (storage.backupRetentionDays, versioned).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
if [ -z "$(redis_service)" ]; then
  log "no Redis container (redis.url): the provider of that Redis keeps its backups"
  exit 0
fi
WORK=$(mktemp -d)
export WORK
trap 'rm -rf "$WORK"' EXIT

redis() { compose exec -T redis redis-cli "$@" | tr -d '\r'; }
persistence() { redis INFO persistence | grep "^$1:" | cut -d: -f2; }
# BGSAVE forks before it replies, so "in progress" is visible at once; LASTSAVE has a
# one-second resolution and cannot tell two saves in the same second apart.
redis BGSAVE >/dev/null
deadline=$((SECONDS + 600))
while [ "$(persistence rdb_bgsave_in_progress)" != 0 ]; do
  ((SECONDS < deadline)) || { log "BGSAVE did not finish in 600s"; exit 1; }
  sleep 2
done
[ "$(persistence rdb_last_bgsave_status)" = ok ] || { log "BGSAVE failed (see the redis log)"; exit 1; }
stamp=$(date -u +%Y%m%dT%H%M%SZ)
docker cp redis:/data/dump.rdb "$WORK/redis-$stamp.rdb"
s3 cp --quiet "/work/redis-$stamp.rdb" "s3://${S3_BUCKET:?}/backups/redis/$stamp.rdb"
log "backups/redis/$stamp.rdb uploaded"
