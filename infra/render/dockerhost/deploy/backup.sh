#!/usr/bin/env bash
# Daily backup to the bucket (retention: the lifecycle rule on backups/, storage.backupRetentionDays, versioned):
#  - Redis: BGSAVE, then the RDB snapshot to s3://BUCKET/backups/redis/STAMP.rdb;
#  - each accessory volume: a tar.gz to s3://BUCKET/backups/accessories/NAME/VOLUME/STAMP.tar.gz, taken
#    while the accessory is paused (a consistent copy; its processes freeze for the seconds tar takes).
# Restore with restore-redis.sh STAMP / restore-accessory.sh NAME VOLUME STAMP.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
WORK=$(mktemp -d)
export WORK
trap 'rm -rf "$WORK"' EXIT
stamp=$(date -u +%Y%m%dT%H%M%SZ)

backup_redis() {
  if [ -z "$(redis_service)" ]; then
    log "no Redis container (redis.url): the provider of that Redis keeps its backups"
    return 0
  fi
  redis() { compose exec -T redis redis-cli "$@" | tr -d '\r'; }
  persistence() { redis INFO persistence | grep "^$1:" | cut -d: -f2; }
  # BGSAVE forks before it replies, so "in progress" is visible at once; LASTSAVE has a
  # one-second resolution and cannot tell two saves in the same second apart.
  redis BGSAVE >/dev/null
  local deadline=$((SECONDS + 600))
  while [ "$(persistence rdb_bgsave_in_progress)" != 0 ]; do
    ((SECONDS < deadline)) || { log "BGSAVE did not finish in 600s"; return 1; }
    sleep 2
  done
  [ "$(persistence rdb_last_bgsave_status)" = ok ] || { log "BGSAVE failed (see the redis log)"; return 1; }
  docker cp redis:/data/dump.rdb "$WORK/redis-$stamp.rdb"
  s3 cp --quiet "/work/redis-$stamp.rdb" "s3://${S3_BUCKET:?}/backups/redis/$stamp.rdb"
  log "backups/redis/$stamp.rdb uploaded"
}

# backup_volume NAME VOLUME: numeric owners, so the restore gives the container's uids back whatever the host knows.
backup_volume() {
  local name=$1 volume=$2 data archive="$1-$2-$stamp.tar.gz" rc=0 paused=
  data=$(volume_dir "$name" "$volume")
  docker pause "$name" >/dev/null 2>&1 && paused=1  # not running: nothing writes, copy as it is
  tar -C "$data" --numeric-owner -czf "$WORK/$archive" . || rc=$?
  [ -z "$paused" ] || docker unpause "$name" >/dev/null
  ((rc == 0)) || { log "tar of $name/$volume failed ($rc)"; return 1; }
  s3 cp --quiet "/work/$archive" "s3://${S3_BUCKET:?}/backups/accessories/$name/$volume/$stamp.tar.gz"
  rm -f "$WORK/$archive"
  log "backups/accessories/$name/$volume/$stamp.tar.gz uploaded"
}

failed=0
backup_redis || failed=1
for entry in $(accessory_volumes); do
  backup_volume "${entry%%/*}" "${entry#*/}" || failed=1
done
exit "$failed"
