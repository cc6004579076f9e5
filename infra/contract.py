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

# Tag on AWS task roles / task definitions naming the role they run (read by policy and cost).
TASK_ROLE_TAG = "ai-service:role"


def connections_needed(api_replicas: int, web_concurrency: int, pool_size: int, worker_processes: int) -> int:
    """Postgres client connections the service opens: every API process's pool, one per worker, one for migrate."""
    return api_replicas * web_concurrency * pool_size + worker_processes + 1
