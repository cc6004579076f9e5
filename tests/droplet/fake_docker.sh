#!/usr/bin/env bash
# A stand-in for `docker` on PATH for the deploy-script tests: logs every call, serves the
# bucket from a directory, and reports container health as the test scenario says.
#   FAKE_LOG: one line per call.  FAKE_S3: directory standing in for s3://BUCKET/.
#   FAKE_BAD + FAKE_BAD_SERVICES: while live/compose.yaml mentions FAKE_BAD, those containers are unhealthy.
#   FAKE_MIGRATE_RC: exit code of `compose run ... migrate`.
set -euo pipefail
echo "$*" >>"$FAKE_LOG"
case $1 in
  run)  # docker run ... -v WORK:/work amazon/aws-cli s3 cp [--quiet] SRC DST
    work=
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
    if [ -n "${FAKE_BAD:-}" ] && grep -q "$FAKE_BAD" "$FAKE_LIVE/compose.yaml" 2>/dev/null \
      && [[ " ${FAKE_BAD_SERVICES:-} " == *" $name "* ]]; then
      echo unhealthy
    else
      echo healthy
    fi ;;
  compose)
    if [[ " $* " == *" run --rm --no-deps migrate "* ]]; then exit "${FAKE_MIGRATE_RC:-0}"; fi ;;
esac
