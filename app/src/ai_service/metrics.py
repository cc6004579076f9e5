"""Prometheus metrics (names are a contract with the dashboards and alerts).

Counters and histograms work in multiprocess mode (PROMETHEUS_MULTIPROC_DIR, several
uvicorn processes). Gauges that describe the outside world (queue depth, dependency
health, build info) are computed at scrape time by whichever process answers the scrape,
so they never need cross-process aggregation.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

# *_created series double the exposition for no dashboard use.
disable_created_metrics()

JOBS = Counter("ai_service_jobs_total", "RQ jobs by outcome", ["queue", "outcome"])
JOB_DURATION = Histogram(
    "ai_service_job_duration_seconds",
    "Wall time of one RQ job attempt",
    ["queue"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
EMBEDDING_REQUESTS = Counter(
    "ai_service_embedding_requests_total",
    "Embedding calls by provider and outcome",
    ["provider", "outcome"],
)
EMBEDDING_DURATION = Histogram(
    "ai_service_embedding_duration_seconds",
    "Latency of one embedding call",
    ["provider"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class ScrapeTimeCollector:
    """Gauges computed for this scrape only."""

    def __init__(
        self,
        version: str,
        dependencies: Mapping[str, bool],
        queue_depths: Mapping[str, int],
    ):
        self.version = version
        self.dependencies = dependencies
        self.queue_depths = queue_depths

    def collect(self) -> Iterable[Metric]:
        build = GaugeMetricFamily("ai_service_build_info", "Running version", labels=["version"])
        build.add_metric([self.version], 1)
        yield build
        if self.dependencies:
            up = GaugeMetricFamily(
                "ai_service_dependency_up",
                "1 if the dependency answered its check",
                labels=["dependency"],
            )
            for name, ok in self.dependencies.items():
                up.add_metric([name], 1 if ok else 0)
            yield up
        if self.queue_depths:
            depth = GaugeMetricFamily("ai_service_queue_depth", "Jobs waiting per RQ queue", labels=["queue"])
            for name, count in self.queue_depths.items():
                depth.add_metric([name], count)
            yield depth


class ProcessRegistry:
    """Adapter: this process's default registry as one collector."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def render(extra: ScrapeTimeCollector | None = None) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(registry)
    else:
        registry.register(ProcessRegistry())
    if extra is not None:
        registry.register(extra)
    return generate_latest(registry)
