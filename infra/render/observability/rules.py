"""Prometheus recording and alerting rules, built from `thresholds` and the metric contract.

`rule_groups()` returns `{"groups": [...]}`: the content of a Prometheus rule file and, as is,
the `spec` of a kube-prometheus-stack `PrometheusRule` (label that object `release: <release>`).
Every alert carries `severity` (critical pages, warning tickets) and `component` (the scrape
job it concerns: Alertmanager inhibits a component's warnings while a critical fires for it),
and `summary` / `description` / `runbook` annotations. Annotations template only `$labels`.
"""

from __future__ import annotations

from typing import Any

from infra.render.observability import thresholds as t
from infra.render.observability.metrics import JOB_API, JOB_NODE, JOB_REDIS, JOB_WORKER, USER_TRAFFIC
from infra.render.yaml_text import dump

RULES_FILE = "ai-service.yml"

_REAL_FILESYSTEMS = 'fstype!~"tmpfs|overlay|squashfs|ramfs|nsfs"'


def _pct(ratio: float) -> str:
    return f"{ratio * 100:g}%"


def error_ratio_record(window_s: int) -> str:
    """Name of the recorded 5xx ratio of user API traffic over `window_s`."""
    return f"slo:sli_error:ratio_rate{t.prom_duration(window_s)}"


def _error_ratio_expr(window_s: int) -> str:
    w = t.prom_duration(window_s)
    sel = f'job="{JOB_API}",{USER_TRAFFIC}'
    return (
        f'sum(rate(http_requests_total{{{sel},status=~"5.."}}[{w}]))\n/\nsum(rate(http_requests_total{{{sel}}}[{w}]))'
    )


def _alert(
    name: str,
    expr: str,
    for_s: int,
    severity: t.Severity,
    component: str,
    summary: str,
    description: str,
    runbook: str,
    **labels: str,
) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": t.prom_duration(for_s),
        "labels": {"severity": severity, "component": component, **labels},
        "annotations": {"summary": summary, "description": description, "runbook": runbook},
    }


def _slo_group() -> dict[str, Any]:
    windows = sorted(set(t.AVAILABILITY.windows_s) | {t.ERROR_RATE.window_s})
    return {
        "name": "ai-service-slo",
        "rules": [{"record": error_ratio_record(w), "expr": _error_ratio_expr(w)} for w in windows],
    }


def _burn_rate_alerts() -> list[dict[str, Any]]:
    slo = t.AVAILABILITY
    alerts = []
    for burn in slo.burn_rates:
        limit = slo.max_error_ratio(burn)
        long_w, short_w = t.prom_duration(burn.long_window_s), t.prom_duration(burn.short_window_s)
        alerts.append(
            _alert(
                "ApiErrorBudgetBurn",
                f"{error_ratio_record(burn.long_window_s)} > {limit:g}\n"
                f"and\n{error_ratio_record(burn.short_window_s)} > {limit:g}",
                burn.for_s,
                burn.severity,
                JOB_API,
                f"API burns its {_pct(slo.objective)} availability error budget {burn.factor:g}x too fast",
                f"5xx share of user requests is above {_pct(limit)} over both {long_w} and {short_w}; "
                f"at this pace the {slo.period_days}-day budget is gone in "
                f"{slo.period_days / burn.factor:.1f} days.",
                "Check ApiHighErrorRate / ApiNotReady, recent deploys (roll back) and dependency health "
                "on the overview dashboard.",
                long_window=long_w,
            )
        )
    return alerts


def _api_group() -> dict[str, Any]:
    lat = t.LATENCY_P95
    err = t.ERROR_RATE
    traffic = f'job="{JOB_API}",{USER_TRAFFIC}'
    return {
        "name": "ai-service-api",
        "rules": [
            _alert(
                "ApiDown",
                f'absent(up{{job="{JOB_API}"}} == 1)',
                t.API_DOWN.for_s,
                t.API_DOWN.severity,
                JOB_API,
                "No API replica is being scraped successfully",
                "Every API target is down or missing from Prometheus: users get no service.",
                "Check the api containers/pods (logs, restarts, OOM kills) and the last deploy; "
                "roll back if it just changed.",
            ),
            _alert(
                "ApiHighErrorRate",
                f"{error_ratio_record(err.window_s)} > {err.max_ratio:g}",
                err.for_s,
                err.severity,
                JOB_API,
                f"More than {_pct(err.max_ratio)} of API requests fail with 5xx",
                f"5xx share of user requests over {t.prom_duration(err.window_s)} has stayed above "
                f"{_pct(err.max_ratio)} for {t.prom_duration(err.for_s)}.",
                "Look at the api logs for the failing handler (level=error), then dependency readiness; "
                "roll back a bad release.",
            ),
            _alert(
                "ApiHighLatency",
                f"histogram_quantile({lat.quantile:g},\n"
                f"  sum by (le) (rate(http_request_duration_seconds_bucket{{{traffic}}}"
                f"[{t.prom_duration(lat.window_s)}]))\n) > {lat.max_seconds:g}",
                lat.for_s,
                lat.severity,
                JOB_API,
                f"API p{lat.quantile * 100:g} latency above {lat.max_seconds:g}s",
                f"p{lat.quantile * 100:g} of user request latency over {t.prom_duration(lat.window_s)} "
                f"has exceeded {lat.max_seconds:g}s for {t.prom_duration(lat.for_s)}.",
                "Check CPU/memory saturation and database/embedding latency on the dashboards; "
                "scale API replicas if saturated.",
            ),
            _alert(
                "ApiNotReady",
                f'ai_service_dependency_up{{job="{JOB_API}"}} == 0',
                t.READINESS_FAILING.for_s,
                t.READINESS_FAILING.severity,
                JOB_API,
                "API {{ $labels.instance }} is not ready: {{ $labels.dependency }} is down",
                "The readiness check of {{ $labels.instance }} reports {{ $labels.dependency }} unreachable; "
                "the instance is taken out of rotation.",
                "Check the {{ $labels.dependency }} service, its credentials and network path from the API.",
            ),
            *_burn_rate_alerts(),
        ],
    }


def _worker_group() -> dict[str, Any]:
    q = t.QUEUE_GROWING
    jobs = t.JOB_FAILURES
    depth = f'ai_service_queue_depth{{job="{JOB_API}"}}'
    jw = t.prom_duration(jobs.window_s)
    return {
        "name": "ai-service-workers",
        "rules": [
            _alert(
                "QueueBacklogGrowing",
                # Every API replica reports the same queue: max collapses the copies.
                f"max by (queue) (deriv({depth}[{t.prom_duration(q.window_s)}])) > 0\n"
                f"and\nmax by (queue) ({depth}) >= {q.min_value:g}",
                q.for_s,
                q.severity,
                JOB_WORKER,
                "Queue {{ $labels.queue }} keeps growing",
                f"At least {q.min_value:g} jobs wait in {{{{ $labels.queue }}}} and the backlog has grown "
                f"for {t.prom_duration(q.for_s)}: workers do not keep up.",
                "Check that workers for this queue are up and not failing; add worker replicas.",
            ),
            _alert(
                "JobsFailing",
                f'sum by (queue) (rate(ai_service_jobs_total{{job="{JOB_WORKER}",outcome="failed"}}[{jw}]))\n'
                f'/\nsum by (queue) (rate(ai_service_jobs_total{{job="{JOB_WORKER}",outcome=~"succeeded|failed"}}'
                f"[{jw}]))\n> {jobs.max_ratio:g}",
                jobs.for_s,
                jobs.severity,
                JOB_WORKER,
                "Jobs on {{ $labels.queue }} are failing",
                f"More than {_pct(jobs.max_ratio)} of {{{{ $labels.queue }}}} jobs failed over {jw}.",
                "Read the worker logs for the failing job (level=error) and the RQ failed job registry.",
            ),
        ],
    }


def _platform_group() -> dict[str, Any]:
    disk = t.DISK_USAGE
    mem = t.MEMORY_USAGE
    fs = f'job="{JOB_NODE}",{_REAL_FILESYSTEMS}'
    watched = f"{JOB_API}|{JOB_WORKER}|{JOB_REDIS}|{JOB_NODE}"
    return {
        "name": "ai-service-platform",
        "rules": [
            _alert(
                "InstanceDown",
                f'up{{job=~"{watched}"}} == 0',
                t.INSTANCE_DOWN.for_s,
                t.INSTANCE_DOWN.severity,
                "{{ $labels.job }}",
                "{{ $labels.job }} target {{ $labels.instance }} is down",
                "Prometheus has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}) for "
                f"{t.prom_duration(t.INSTANCE_DOWN.for_s)}.",
                "Check the container/pod for restarts or OOM kills and that its metrics port answers.",
            ),
            _alert(
                "RedisDown",
                f'redis_up{{job="{JOB_REDIS}"}} == 0',
                t.REDIS_DOWN.for_s,
                t.REDIS_DOWN.severity,
                JOB_REDIS,
                "Redis is unreachable",
                "redis_exporter cannot reach Redis: no job can be queued or processed.",
                "Check the redis service (logs, memory limit, maxmemory policy) and its password.",
            ),
            _alert(
                "HostDiskFilling",
                f"1 - node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}}\n> {disk.max_ratio:g}",
                disk.for_s,
                disk.severity,
                JOB_NODE,
                "Disk {{ $labels.mountpoint }} on {{ $labels.instance }} is over " + _pct(disk.max_ratio) + " full",
                f"Less than {_pct(1 - disk.max_ratio)} of {{{{ $labels.mountpoint }}}} is free.",
                "Prune old images (docker image prune), check Prometheus retention and log volume; resize the volume.",
            ),
            _alert(
                "HostMemoryPressure",
                f'1 - node_memory_MemAvailable_bytes{{job="{JOB_NODE}"}} '
                f'/ node_memory_MemTotal_bytes{{job="{JOB_NODE}"}}\n> {mem.max_ratio:g}',
                mem.for_s,
                mem.severity,
                JOB_NODE,
                "Memory on {{ $labels.instance }} is over " + _pct(mem.max_ratio) + " used",
                f"Less than {_pct(1 - mem.max_ratio)} of memory is available: the OOM killer is near.",
                "Compare container memory with their limits; lower worker replicas or resize the host.",
            ),
        ],
    }


def rule_groups() -> dict[str, Any]:
    """All rule groups as `{"groups": [...]}` (a rule file, or a PrometheusRule `spec`)."""
    return {"groups": [_slo_group(), _api_group(), _worker_group(), _platform_group()]}


def render_rules_yaml() -> str:
    return dump(rule_groups(), header="Generated by infra.render.observability.rules — do not edit by hand.")
