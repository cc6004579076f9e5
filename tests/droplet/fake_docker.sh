#!/usr/bin/env bash
# A stand-in for `docker` on PATH for the deploy-script tests: logs every call, serves the
# bucket from a directory, reports container health as the test scenario says, and runs
# "the redis container" as a real local redis-server.
#   FAKE_LOG: one line per call.  FAKE_S3: directory standing in for s3://BUCKET/.
#   FAKE_BAD + FAKE_BAD_SERVICES: while live/compose.yaml mentions FAKE_BAD, those containers are unhealthy.
#   FAKE_MIGRATE_RC: exit code of `compose run ... migrate`.
#   FAKE_REDIS_PORT + FAKE_VOLUME: the redis container's port and /data directory (redis-server runs there).
#   FAKE_VOLUMES: directory holding one directory per named accessory volume (ai-service_NAME-VOLUME).
set -euo pipefail
echo "$*" >>"$FAKE_LOG"

redis_cli() { redis-cli -p "$FAKE_REDIS_PORT" "$@"; }
redis_start() {  # redis_start ARGS...: a daemonized redis-server on /data = FAKE_VOLUME
  redis-server --port "$FAKE_REDIS_PORT" --bind 127.0.0.1 --dir "$FAKE_VOLUME" --daemonize yes \
    --pidfile "$FAKE_VOLUME.pid" --logfile "$FAKE_VOLUME.log" "$@"
  until redis_cli ping >/dev/null 2>&1; do sleep 0.1; done
}
redis_gone() { while redis_cli ping >/dev/null 2>&1; do sleep 0.1; done; }
after() {  # after WORD ARGS...: the arguments following the first WORD
  local word=$1
  shift
  while (($#)) && [ "$1" != "$word" ]; do shift; done
  shift
  echo "$@"
}

case $1 in
  run)
    if [[ " $* " == *" --name redis-restore "* ]]; then  # docker run -d --rm --name redis-restore -v V:/data IMAGE redis-server ARGS
      # shellcheck disable=SC2046
      redis_start $(after redis-server "$@")
      exit 0
    fi
    work=  # docker run ... -v WORK:/work amazon/aws-cli s3 cp [--quiet] SRC DST
    while (($#)); do
      case $1 in
        -v) work=${2%%:*}; shift 2 ;;
        cp) shift; break ;;
        *) shift ;;
      esac
    done
    [ "$1" = --quiet ] && shift
    map() { case $1 in s3://*) p=${1#s3://}; echo "$FAKE_S3/${p#*/}" ;; *) echo "$work/${1#/work/}" ;; esac; }
    src=$(map "$1") dst=$(map "$2")
    [ -f "$src" ] || { echo "fatal error: $1 does not exist" >&2; exit 1; }
    mkdir -p "$(dirname "$dst")" && cp "$src" "$dst" ;;
  inspect)
    name=${*: -1}
    case $3 in
      '{{.Config.Image}}') echo redis:fake ;;
      *IPAddress*) echo "10.0.0.$(grep -c . "$FAKE_LOG")" ;;  # a new address each time, as after a recreate
      *)
        if [ -n "${FAKE_BAD:-}" ] && grep -q "$FAKE_BAD" "$FAKE_LIVE/compose.yaml" 2>/dev/null \
          && [[ " ${FAKE_BAD_SERVICES:-} " == *" $name "* ]]; then
          echo unhealthy
        elif [ "$name" = redis ] && [ -n "${FAKE_REDIS_PORT:-}" ] && ! redis_cli ping >/dev/null 2>&1; then
          echo starting
        else
          echo healthy
        fi ;;
    esac ;;
  cp) cp "$FAKE_VOLUME/${2#redis:/data/}" "$3" ;;  # docker cp redis:/data/FILE DEST
  volume)  # docker volume inspect -f {{.Mountpoint}} NAME: FAKE_VOLUMES/NAME for accessory volumes
    case ${*: -1} in
      *redis-data) echo "$FAKE_VOLUME" ;;
      *) echo "${FAKE_VOLUMES:?}/${*: -1}" ;;
    esac ;;
  exec) shift 2; redis_cli "${@:2}" ;;  # docker exec redis-restore redis-cli ARGS
  wait) redis_gone ;;
  compose)
    sub=" $(after -f "$@") "
    sub=${sub#* * }  # drop the compose file argument
    case " $sub " in
      *" run --rm --no-deps migrate "*) exit "${FAKE_MIGRATE_RC:-0}" ;;
      *" exec -T redis redis-cli "*) # shellcheck disable=SC2046,SC2086
        redis_cli $(after redis-cli $sub) ;;
      *" stop redis "*) redis_cli shutdown >/dev/null 2>&1 || true; redis_gone ;;
      *" up -d --no-deps redis "*) [ -z "${FAKE_REDIS_PORT:-}" ] || redis_start --appendonly yes ;;
    esac ;;
esac
