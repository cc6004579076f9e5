# shellcheck shell=bash
# Shared by the deploy scripts on the droplet (sourced; not executable on its own).
# Settings come from /etc/ai-service/agent.conf (non-secret) written by cloud-init; the
# AWS key of the bucket user is in /etc/ai-service/credentials.env (root, 0600).
AGENT_CONF=${AGENT_CONF:-/etc/ai-service/agent.conf}
# shellcheck source=/dev/null
[ -r "$AGENT_CONF" ] && . "$AGENT_CONF"
PROJECT_DIR=${PROJECT_DIR:-/opt/ai-service}
LIVE=${LIVE:-$PROJECT_DIR/live}
RELEASES=${RELEASES:-$PROJECT_DIR/releases}
CREDENTIALS=${CREDENTIALS:-/etc/ai-service/credentials.env}
# renovate: datasource=docker depName=amazon/aws-cli
AWS_CLI_IMAGE=${AWS_CLI_IMAGE:-amazon/aws-cli:2.31.1}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-180}
EDGE_URL=${EDGE_URL:-http://127.0.0.1/health/ready}
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

# edge_ok: readiness through nginx, several times so every upstream answers.
edge_ok() {
  local i
  for i in 1 2 3 4; do
    curl -fsS -o /dev/null --max-time 5 "$EDGE_URL" || { log "edge check $i failed: $EDGE_URL"; return 1; }
  done
}

# redis_service: the live release's Redis container; "" when it brings its own (redis.url).
redis_service() {
  local current
  current=$(cat "$RELEASES/current" 2>/dev/null) || { echo redis; return; }
  # shellcheck source=/dev/null
  (. "$RELEASES/$current/release.env" && echo "${REDIS_SERVICE-redis}")
}
