"""Facts about the service (app/) that every layer relies on: ports, probe paths, roles, tags.

The service implements them (its console script, its HTTP routes); settings, renderers,
components, stacks and the policy rules read them from here, so a port or a path is written once.
"""

from __future__ import annotations

# Ports inside the container / pod / task.
API_PORT = 8000  # `ai-service api` serves HTTP on $PORT, 8000 unless told otherwise
WORKER_METRICS_PORT = 8001  # each `ai-service worker` exposes /metrics here

# HTTP paths of the API.
HEALTH_PATH = "/health"  # liveness: 200 while the process serves; what load balancers check
READY_PATH = "/health/ready"  # readiness: 503 naming the failing dependency
METRICS_PATH = "/metrics"  # Prometheus text; never routed by a public edge

# Roles of the one image (`ai-service <role>`), as every target names its workloads.
SERVICE_ROLES = frozenset({"api", "worker", "scheduler", "migrate"})

# Environment the stacks set on the service themselves, and where each comes from. `ai-service:env`
# and `ai-service:secretEnv` add the app's own variables and may not redefine these.
CONTRACT_ENV: dict[str, str] = {
    "APP_ENV": "ai-service:appEnv",
    "APP_VERSION": "the image tag",
    "PORT": "ai-service:port",
    "METRICS_PORT": "the worker metrics port",
    "LOG_LEVEL": "ai-service:logLevel",
    "WEB_CONCURRENCY": "the target's CPU size",
    "DB_POOL_SIZE": "ai-service:database.poolSize",
    "DATABASE_URL": "ai-service:database",
    "MIGRATE_DATABASE_URL": "ai-service:database",
    "REDIS_URL": "ai-service:redis",
    "REDIS_CA_CERT": "ai-service:redis",
    "REDIS_PASSWORD": "ai-service:redis",
    "S3_BUCKET": "ai-service:storage",
    "S3_REGION": "ai-service:storage",
    "S3_ENDPOINT_URL": "ai-service:storage",
    "AWS_ACCESS_KEY_ID": "the target's storage credentials",
    "AWS_SECRET_ACCESS_KEY": "the target's storage credentials",
    "API_KEYS": "ai-service:apiKeys",
    "SECRET_KEY": "a generated secret",
    "OPENAI_API_KEY": "ai-service:openaiApiKey",
    "EMBEDDING_PROVIDER": "ai-service:embeddingProvider",
    "EMBEDDING_DIM": "ai-service:embeddingDim",
    "MAX_UPLOAD_BYTES": "ai-service:maxUploadBytes",
    "RATE_LIMIT_PER_MINUTE": "ai-service:rateLimitPerMinute",
    "ALLOWED_HOSTS": "ai-service:domain",
    "INTERNAL_HOSTS": "ai-service:accessories[].callsApi",
    "CORS_ORIGINS": "ai-service:corsOrigins",
    "FORWARDED_ALLOW_IPS": "the target's proxy",
    "JOB_TIMEOUT_SECONDS": "the target",
    "SHUTDOWN_GRACE_SECONDS": "the target",
    "INLINE_JOBS": "target lambda",
    "SECRETS_ARN": "target lambda",
    "SCHEDULES": "ai-service:schedules",
    "PROMETHEUS_MULTIPROC_DIR": "the image",
}

# Tag on AWS task roles / task definitions naming the role they run (read by policy and cost).
TASK_ROLE_TAG = "ai-service:role"


def connections_needed(api_replicas: int, web_concurrency: int, pool_size: int, worker_processes: int) -> int:
    """Postgres client connections the service opens: every API process's pool, one per worker, one for migrate."""
    return api_replicas * web_concurrency * pool_size + worker_processes + 1


def internal_host_env(env: dict[str, str], host: str) -> dict[str, str]:
    """ALLOWED_HOSTS and INTERNAL_HOSTS for a service that accessories call as `host` (plain HTTP, private network)."""
    allowed = env.get("ALLOWED_HOSTS", "*")
    return {
        "ALLOWED_HOSTS": allowed if allowed in ("", "*") else f"{allowed},{host}",
        "INTERNAL_HOSTS": host,
    }
