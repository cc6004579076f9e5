#!/usr/bin/env bash
# Restore Redis from a backup: restore-redis.sh STAMP (as listed under backups/redis/).
# Stops Redis, replaces its data with the snapshot (the AOF is rebuilt from it), starts Redis.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
stamp=${1:?usage: restore-redis.sh STAMP (see: aws s3 ls s3://BUCKET/backups/redis/)}
WORK=$(mktemp -d)
export WORK
trap 'rm -rf "$WORK"' EXIT
s3 cp --quiet "s3://${S3_BUCKET:?}/backups/redis/$stamp.rdb" /work/dump.rdb
compose stop redis
volume=$(docker volume inspect -f '{{.Mountpoint}}' ai-service_redis-data)
rm -rf "$volume/appendonlydir"
install -m 0644 "$WORK/dump.rdb" "$volume/dump.rdb"
chown --reference="$volume" "$volume/dump.rdb"
# Without an AOF Redis loads the RDB; `appendonly yes` then writes a fresh AOF from memory.
compose up -d --no-deps redis
wait_healthy redis
log "redis restored from backups/redis/$stamp.rdb"
