# shellcheck shell=bash
# Shared by the deploy scripts on the droplet (sourced; not executable on its own).
# Settings come from /etc/ai-service/agent.conf (bucket and region) written by cloud-init and
# /etc/ai-service/host.env (domain, TLS e-mail) written by host.sh from the live release; the
# AWS key of the bucket user is in /etc/ai-service/credentials.env (root, 0600).
AGENT_CONF=${AGENT_CONF:-/etc/ai-service/agent.conf}
# shellcheck source=/dev/null
[ -r "$AGENT_CONF" ] && . "$AGENT_CONF"
HOST_STATE=${HOST_STATE:-/etc/ai-service}
HOST_ENV=${HOST_ENV:-$HOST_STATE/host.env}
SUDOERS_DIR=${SUDOERS_DIR:-/etc/sudoers.d}
# shellcheck source=/dev/null
[ -r "$HOST_ENV" ] && . "$HOST_ENV"
PROJECT_DIR=${PROJECT_DIR:-/opt/ai-service}
LIVE=${LIVE:-$PROJECT_DIR/live}
RELEASES=${RELEASES:-$PROJECT_DIR/releases}  # VERSION/ (files/, release.env, secrets/, docker/) and `current` -> VERSION
CREDENTIALS=${CREDENTIALS:-/etc/ai-service/credentials.env}
# renovate: datasource=docker depName=amazon/aws-cli
AWS_CLI_IMAGE=${AWS_CLI_IMAGE:-amazon/aws-cli:2.31.1}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-180}
# The API's readiness path (ai-service:health.readiness) comes with each release (release.env READY_PATH);
# the edge URL is built when a check runs, after the release's settings are read.
edge_url() { echo "${EDGE_URL:-http://127.0.0.1${READY_PATH:-/health/ready}}"; }
# Registry pull credentials arrive with the release secrets (agent.sh writes live/docker/config.json).
export DOCKER_CONFIG=${DOCKER_CONFIG:-$LIVE/docker}

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) ${0##*/}: $*" >&2; }

compose() { docker compose --project-directory "$LIVE" -f "$LIVE/compose.yaml" "$@"; }

# s3 ARGS...: the AWS CLI in a pinned container; $WORK is mounted at /work.
s3() {
  docker run --rm --env-file "$CREDENTIALS" -e AWS_DEFAULT_REGION="${S3_REGION:?}" \
    -v "${WORK:?}:/work" "$AWS_CLI_IMAGE" s3 "$@"
}

# wait_healthy NAME: until the container's healthcheck passes; fails when unhealthy or after HEALTH_TIMEOUT.
wait_healthy() {
  local name=$1 status deadline=$((SECONDS + HEALTH_TIMEOUT))
  while ((SECONDS < deadline)); do
    status=$(docker inspect -f '{{.State.Health.Status}}' "$name" 2>/dev/null || echo missing)
    case $status in
      healthy) return 0 ;;
      unhealthy) log "$name is unhealthy"; return 1 ;;
    esac
    sleep 2
  done
  log "$name not healthy after ${HEALTH_TIMEOUT}s (last: $status)"
  return 1
}

# current_version: the live release (the target of the `current` symlink); "" before the first.
current_version() {
  local target
  target=$(readlink "$RELEASES/current" 2>/dev/null) || return 0
  echo "${target##*/}"
}

# replica_address NAME: the container's address on the compose network (a new one after each recreate).
replica_address() {
  docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1" 2>/dev/null
}

# replica_ready NAME PORT: readiness (READY_PATH, with its dependencies) on the replica's own
# address, not through nginx (which would retry a 503 on another replica and hide this one).
replica_ready() {
  local name=$1 port=$2 address path=${READY_PATH:-/health/ready} deadline=$((SECONDS + HEALTH_TIMEOUT))
  while ((SECONDS < deadline)); do
    address=$(replica_address "$name")
    if [ -n "$address" ] && curl -fsS -o /dev/null --max-time 5 "http://$address:$port$path"; then
      return 0
    fi
    sleep 2
  done
  log "$name not ready on its own address (${address:-none}:$port$path) after ${HEALTH_TIMEOUT}s"
  return 1
}

# edge_ok: readiness through nginx, several times so every upstream answers.
edge_ok() {
  local i url
  url=$(edge_url)
  for i in 1 2 3 4; do
    curl -fsS -o /dev/null --max-time 5 "$url" || { log "edge check $i failed: $url"; return 1; }
  done
}

# accessory_volumes: the live release's accessory volumes, as ACCESSORY/VOLUME words ("" without any).
accessory_volumes() {
  [ -e "$RELEASES/current/release.env" ] || return 0
  # shellcheck source=/dev/null
  (. "$RELEASES/current/release.env" && echo "${ACCESSORY_VOLUMES-}")
}

# volume_dir ACCESSORY VOLUME: where the accessory's named volume lives on the host (compose project ai-service).
volume_dir() { docker volume inspect -f '{{.Mountpoint}}' "${VOLUME_PREFIX:-ai-service_}$1-$2"; }

# redis_service: the live release's Redis container; "" when it brings its own (redis.url).
redis_service() {
  [ -e "$RELEASES/current/release.env" ] || { echo redis; return; }
  # shellcheck source=/dev/null
  (. "$RELEASES/current/release.env" && echo "${REDIS_SERVICE-redis}")
}
