"""The metric contract between the service (app/), the exporters and our rules and dashboards.

The service implements exactly these names; rules and dashboards may reference nothing else
(a test extracts every metric name from both and checks it is listed here).
Scrape job names are part of the contract: rules select on them.
"""

from __future__ import annotations

from infra.contract import API_PORT, WORKER_METRICS_PORT

__all__ = ["API_PORT", "WORKER_METRICS_PORT"]  # re-exported: scrape targets read them here

JOB_API = "api"
JOB_WORKER = "worker"
JOB_REDIS = "redis"
JOB_NODE = "node"
JOB_PROMETHEUS = "prometheus"
SCRAPE_JOBS = (JOB_API, JOB_WORKER, JOB_REDIS, JOB_NODE, JOB_PROMETHEUS)

REDIS_EXPORTER_PORT = 9121
NODE_EXPORTER_PORT = 9100
PROMETHEUS_PORT = 9090
ALERTMANAGER_PORT = 9093
GRAFANA_PORT = 3000

# The SLI counts user traffic: probes hit /health* every few seconds and a failing readiness
# probe (503 by design) must not read as users getting errors.
USER_TRAFFIC = 'handler!~"/health.*"'

HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")

# name -> Prometheus type, as exposed by the service (app/) and the pinned exporters.
SERVICE_METRICS: dict[str, str] = {
    "http_requests_total": "counter",
    "http_request_duration_seconds": "histogram",
    "ai_service_queue_depth": "gauge",
    "ai_service_jobs_total": "counter",
    "ai_service_job_duration_seconds": "histogram",
    "ai_service_dependency_up": "gauge",
    "ai_service_embedding_requests_total": "counter",
    "ai_service_embedding_duration_seconds": "histogram",
    "ai_service_build_info": "gauge",
}
EXPORTER_METRICS: dict[str, str] = {
    "up": "gauge",
    "redis_up": "gauge",
    "redis_memory_used_bytes": "gauge",
    "redis_memory_max_bytes": "gauge",
    "redis_connected_clients": "gauge",
    "redis_commands_processed_total": "counter",
    "node_filesystem_avail_bytes": "gauge",
    "node_filesystem_size_bytes": "gauge",
    "node_memory_MemAvailable_bytes": "gauge",
    "node_memory_MemTotal_bytes": "gauge",
    "node_cpu_seconds_total": "counter",
    "node_load1": "gauge",
    "node_network_receive_bytes_total": "counter",
    "node_network_transmit_bytes_total": "counter",
}


def series_names(metrics: dict[str, str]) -> frozenset[str]:
    """Every series name a metric family exposes (histograms expose _bucket/_count/_sum)."""
    names: set[str] = set()
    for name, kind in metrics.items():
        if kind == "histogram":
            names.update(name + suffix for suffix in HISTOGRAM_SUFFIXES)
        else:
            names.add(name)
    return frozenset(names)


CONTRACT_SERIES = series_names(SERVICE_METRICS) | series_names(EXPORTER_METRICS)
