"""Cloud Monitoring alert conditions built from the shared thresholds (pure; no pulumi import).

The Prometheus rules on other targets read the same constants in
infra/render/observability/thresholds.py, so "API down", "error rate" or "disk full" mean the same
thing on every target. Each entry is what `monitoring.AlertPolicy(...)` receives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.render.observability import thresholds as t


@dataclass(frozen=True)
class Targets:
    """The monitored things, by the names Cloud Monitoring filters on."""

    project: str
    service: str  # Cloud Run service name
    uptime_check_id: str
    database_id: str | None  # "project:instance" or None when the database is not ours
    redis_instance: str | None  # instance id (name) or None
    job_metrics: tuple[str, str] | None = None  # log-based metrics: (documents failed, documents finished)


# Workers log one JSON line per document outcome (structlog `event`); Cloud Logging parses stdout
# JSON into jsonPayload, so log-based metrics count outcomes without a Prometheus scrape.
FAILED_EVENTS = ("document_failed",)
FINISHED_EVENTS = ("document_indexed", "document_failed")


def event_filter(events: tuple[str, ...]) -> str:
    return "jsonPayload.event = (" + " OR ".join(f'"{e}"' for e in events) + ")"


def _seconds(value: int) -> str:
    return f"{value}s"


def _threshold(
    name: str,
    filter_: str,
    *,
    aligner: str,
    window_s: int,
    value: float,
    for_s: int,
    reducer: str = "REDUCE_MAX",
    group_by: tuple[str, ...] = (),
    **extra,
) -> dict:
    aggregation: dict[str, Any] = {
        "alignment_period": _seconds(window_s),
        "per_series_aligner": aligner,
        "cross_series_reducer": reducer,
    }
    if group_by:
        aggregation["group_by_fields"] = list(group_by)
    return {
        "display_name": name,
        "condition_threshold": {
            "filter": filter_,
            "aggregations": [aggregation],
            "comparison": "COMPARISON_GT",
            "threshold_value": value,
            "duration": _seconds(for_s),
            "trigger": {"count": 1},
            **extra,
        },
    }


def alert_policies(targets: Targets) -> dict[str, dict]:
    """Policy name -> {display_name, severity, combiner, conditions, documentation}."""
    run = f'resource.type = "cloud_run_revision" AND resource.labels.service_name = "{targets.service}"'
    requests = f'{run} AND metric.type = "run.googleapis.com/request_count"'
    policies: dict[str, dict] = {
        "api-down": {
            "severity": t.API_DOWN.severity,
            "text": "The public /health uptime check fails from several regions.",
            "conditions": [
                _threshold(
                    "uptime check failing",
                    'metric.type = "monitoring.googleapis.com/uptime_check/check_passed" AND '
                    f'metric.labels.check_id = "{targets.uptime_check_id}" AND resource.type = "uptime_url"',
                    aligner="ALIGN_NEXT_OLDER",
                    reducer="REDUCE_COUNT_FALSE",
                    group_by=("resource.label.host",),
                    window_s=60,
                    value=1,
                    for_s=t.API_DOWN.for_s,
                )
            ],
        },
        "error-rate": {
            "severity": t.ERROR_RATE.severity,
            "text": f"More than {t.ERROR_RATE.max_ratio:.0%} of API requests return 5xx.",
            "conditions": [
                _threshold(
                    "5xx ratio",
                    f'{requests} AND metric.labels.response_code_class = "5xx"',
                    aligner="ALIGN_RATE",
                    reducer="REDUCE_SUM",
                    window_s=t.ERROR_RATE.window_s,
                    value=t.ERROR_RATE.max_ratio,
                    for_s=t.ERROR_RATE.for_s,
                    denominator_filter=requests,
                    denominator_aggregations=[
                        {
                            "alignment_period": _seconds(t.ERROR_RATE.window_s),
                            "per_series_aligner": "ALIGN_RATE",
                            "cross_series_reducer": "REDUCE_SUM",
                        }
                    ],
                )
            ],
        },
        "latency-p95": {
            "severity": t.LATENCY_P95.severity,
            "text": f"p95 API latency above {t.LATENCY_P95.max_seconds:g} s.",
            "conditions": [
                _threshold(
                    "p95 latency",
                    f'{run} AND metric.type = "run.googleapis.com/request_latencies"',
                    aligner="ALIGN_PERCENTILE_95",
                    window_s=t.LATENCY_P95.window_s,
                    value=t.LATENCY_P95.max_seconds * 1000,  # the metric is in milliseconds
                    for_s=t.LATENCY_P95.for_s,
                )
            ],
        },
        "memory": {
            "severity": t.MEMORY_USAGE.severity,
            "text": f"A container uses more than {t.MEMORY_USAGE.max_ratio:.0%} of its memory limit.",
            "conditions": [
                _threshold(
                    "container memory",
                    f'{run} AND metric.type = "run.googleapis.com/container/memory/utilizations"',
                    aligner="ALIGN_PERCENTILE_99",
                    window_s=300,
                    value=t.MEMORY_USAGE.max_ratio,
                    for_s=t.MEMORY_USAGE.for_s,
                )
            ],
        },
    }
    if targets.job_metrics:
        failed, finished = (f'metric.type = "logging.googleapis.com/user/{m}"' for m in targets.job_metrics)
        aggregation = {
            "alignment_period": _seconds(t.JOB_FAILURES.window_s),
            "per_series_aligner": "ALIGN_RATE",
            "cross_series_reducer": "REDUCE_SUM",
        }
        policies["job-failures"] = {
            "severity": t.JOB_FAILURES.severity,
            "text": f"More than {t.JOB_FAILURES.max_ratio:.0%} of processed documents fail.",
            "conditions": [
                _threshold(
                    "document failure ratio",
                    failed,
                    aligner="ALIGN_RATE",
                    reducer="REDUCE_SUM",
                    window_s=t.JOB_FAILURES.window_s,
                    value=t.JOB_FAILURES.max_ratio,
                    for_s=t.JOB_FAILURES.for_s,
                    denominator_filter=finished,
                    denominator_aggregations=[aggregation],
                )
            ],
        }
    if targets.database_id:
        policies["database-disk"] = {
            "severity": t.DISK_USAGE.severity,
            "text": f"Cloud SQL disk above {t.DISK_USAGE.max_ratio:.0%}.",
            "conditions": [
                _threshold(
                    "database disk",
                    'resource.type = "cloudsql_database" AND resource.labels.database_id = '
                    f'"{targets.database_id}" AND '
                    'metric.type = "cloudsql.googleapis.com/database/disk/utilization"',
                    aligner="ALIGN_MEAN",
                    window_s=300,
                    value=t.DISK_USAGE.max_ratio,
                    for_s=t.DISK_USAGE.for_s,
                )
            ],
        }
    if targets.redis_instance:
        policies["redis-memory"] = {
            "severity": t.MEMORY_USAGE.severity,
            "text": f"Memorystore memory above {t.MEMORY_USAGE.max_ratio:.0%} (noeviction: writes will fail).",
            "conditions": [
                _threshold(
                    "redis memory",
                    'resource.type = "redis_instance" AND resource.labels.instance_id = '
                    f'ends_with("/instances/{targets.redis_instance}") AND '
                    'metric.type = "redis.googleapis.com/stats/memory/usage_ratio"',
                    aligner="ALIGN_MEAN",
                    window_s=300,
                    value=t.MEMORY_USAGE.max_ratio,
                    for_s=t.MEMORY_USAGE.for_s,
                )
            ],
        }
    return policies


# ── the availability SLO (Service Monitoring) and its burn-rate alerts ─────────────────────────────


def slo_request_filters(service: str) -> dict[str, str]:
    """The request-based SLI of the availability SLO: 5xx responses over all responses of the service."""
    requests = (
        'metric.type = "run.googleapis.com/request_count" AND resource.type = "cloud_run_revision" AND '
        f'resource.labels.service_name = "{service}"'
    )
    return {
        "bad_service_filter": f'{requests} AND metric.labels.response_code_class = "5xx"',
        "total_service_filter": requests,
    }


def _burn_condition(slo_name: str, window_s: int, factor: float, for_s: int) -> dict:
    # SLO conditions read the selector alone: no aggregations (Service Monitoring computes the ratio).
    return {
        "display_name": f"burn rate over {t.prom_duration(window_s)} above {factor:g}x",
        "condition_threshold": {
            "filter": f'select_slo_burn_rate("{slo_name}", "{window_s}s")',
            "comparison": "COMPARISON_GT",
            "threshold_value": factor,
            "duration": _seconds(for_s),
            "trigger": {"count": 1},
        },
    }


def burn_rate_policies(slo_name: str) -> dict[str, dict]:
    """One policy per burn-rate window pair of the shared SLO: long AND short window above the factor."""
    slo = t.AVAILABILITY
    policies: dict[str, dict] = {}
    for burn in slo.burn_rates:
        long_w, short_w = t.prom_duration(burn.long_window_s), t.prom_duration(burn.short_window_s)
        policies[f"slo-burn-{long_w}"] = {
            "severity": burn.severity,
            "combiner": "AND",
            "text": (
                f"API burns its {slo.objective:.1%} availability error budget {burn.factor:g}x too fast "
                f"({long_w} and {short_w} windows): the {slo.period_days}-day budget is gone in "
                f"{slo.period_days / burn.factor:.1f} days."
            ),
            "conditions": [
                _burn_condition(slo_name, window, burn.factor, burn.for_s)
                for window in (burn.long_window_s, burn.short_window_s)
            ],
        }
    return policies
