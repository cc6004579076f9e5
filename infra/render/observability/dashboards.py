"""Grafana dashboards as code (grafana-foundation-sdk), returned as JSON-ready dicts.

Three dashboards with stable uids (links and bookmarks survive re-provisioning):
- `ai-service-overview`: traffic, errors, latency percentiles, readiness, saturation, SLO budget.
- `ai-service-workers`: queue depth, job throughput/failures/duration, embeddings.
- `ai-service-resources`: Redis and host (CPU, memory, disk, network).
Every query uses the Prometheus datasource by its fixed uid (`grafana.PROMETHEUS_DATASOURCE_UID`),
which is also kube-prometheus-stack's default, so the same JSON loads on every target.
Thresholds drawn on panels come from `thresholds`, so graphs and alerts agree.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders.common import ReduceDataOptions, VizLegendOptions
from grafana_foundation_sdk.builders.dashboard import Dashboard, Row, ThresholdsConfig
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import (
    BigValueGraphMode,
    LegendDisplayMode,
    LegendPlacement,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DataSourceRef,
    Threshold,
    ThresholdsMode,
)

from infra.render.observability import thresholds as t
from infra.render.observability.grafana import PROMETHEUS_DATASOURCE_UID
from infra.render.observability.metrics import JOB_API, JOB_NODE, JOB_REDIS, JOB_WORKER, USER_TRAFFIC
from infra.render.observability.rules import error_ratio_record

_DS = DataSourceRef(type_val="prometheus", uid=PROMETHEUS_DATASOURCE_UID)
_RATE = "$__rate_interval"  # Grafana picks a window >= 4 scrape intervals
_API = f'job="{JOB_API}"'
_TRAFFIC = f"{_API},{USER_TRAFFIC}"
_FS = f'job="{JOB_NODE}",fstype!~"tmpfs|overlay|squashfs|ramfs|nsfs"'

DASHBOARD_TAGS = ["ai-service", "generated"]


def _query(expr: str, legend: str = "", ref: str = "A") -> Dataquery:
    return Dataquery().expr(expr).legend_format(legend or "__auto").ref_id(ref).datasource(_DS)


def _limits(*steps: tuple[float, str], base: str = "green") -> ThresholdsConfig:
    """Absolute colour steps: `base` below the first value."""
    return (
        ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=None, color=base), *(Threshold(value=v, color=c) for v, c in steps)])
    )


def _timeseries(title: str, unit: str, *queries: tuple[str, str], description: str = "", width: int = 12) -> Timeseries:
    panel = (
        Timeseries()
        .title(title)
        .unit(unit)
        .datasource(_DS)
        .height(8)
        .span(width)
        .description(description)
        .legend(
            VizLegendOptions().display_mode(LegendDisplayMode.LIST).placement(LegendPlacement.BOTTOM).show_legend(True)
        )
    )
    for i, (expr, legend) in enumerate(queries):
        panel = panel.with_target(_query(expr, legend, ref=chr(ord("A") + i)))
    return panel


def _stat(title: str, unit: str, expr: str, legend: str = "", description: str = "", width: int = 6) -> Stat:
    return (
        Stat()
        .title(title)
        .unit(unit)
        .datasource(_DS)
        .height(4)
        .span(width)
        .description(description)
        .graph_mode(BigValueGraphMode.AREA)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .with_target(_query(expr, legend))
    )


def _dashboard(uid: str, title: str, description: str) -> Dashboard:
    return (
        Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(DASHBOARD_TAGS)
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("browser")
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .readonly()
    )


def _latency(metric: str, selector: str, by: str, q: float) -> str:
    return f"histogram_quantile({q:g}, sum by ({by}) (rate({metric}_bucket{{{selector}}}[{_RATE}])))"


def overview() -> Dashboard:
    err, lat, slo = t.ERROR_RATE, t.LATENCY_P95, t.AVAILABILITY
    budget_days = f"{slo.period_days}d"
    return (
        _dashboard(
            "ai-service-overview", "AI service / Overview", "Traffic, errors, latency and saturation of the API."
        )
        .with_row(Row("Service level"))
        .with_panel(_stat("Requests / s", "reqps", f"sum(rate(http_requests_total{{{_TRAFFIC}}}[{_RATE}]))"))
        .with_panel(
            _stat(
                "5xx ratio (5m)",
                "percentunit",
                error_ratio_record(err.window_s),
                description=f"Alert above {err.max_ratio:.0%}.",
            ).thresholds(_limits((err.max_ratio, "red")))
        )
        .with_panel(
            _stat(
                f"Availability ({budget_days})",
                "percentunit",
                f'1 - (sum(increase(http_requests_total{{{_TRAFFIC},status=~"5.."}}[{budget_days}]))'
                f" / sum(increase(http_requests_total{{{_TRAFFIC}}}[{budget_days}])))",
                description=f"SLO {slo.objective:.1%} of user requests answered without 5xx.",
            ).thresholds(_limits((slo.objective, "green"), base="red"))
        )
        .with_panel(_stat("API replicas up", "none", f"sum(up{{{_API}}})"))
        .with_row(Row("Traffic and errors"))
        .with_panel(
            _timeseries(
                "Requests by handler",
                "reqps",
                (f"sum by (handler) (rate(http_requests_total{{{_API}}}[{_RATE}]))", "{{handler}}"),
            )
        )
        .with_panel(
            _timeseries(
                "Responses by status",
                "reqps",
                (f"sum by (status) (rate(http_requests_total{{{_API}}}[{_RATE}]))", "{{status}}"),
            )
        )
        .with_panel(
            _timeseries(
                "Error budget burn rate",
                "none",
                *((f"{error_ratio_record(w)} / {slo.error_budget:g}", t.prom_duration(w)) for w in slo.windows_s),
                description="1 = the budget lasts exactly the SLO period; pages at "
                + ", ".join(
                    f"{b.factor:g}x ({t.prom_duration(b.long_window_s)})"
                    for b in slo.burn_rates
                    if b.severity == "critical"
                )
                + ".",
            )
        )
        .with_panel(
            _timeseries(
                "Readiness by dependency",
                "none",
                (f"min by (dependency) (ai_service_dependency_up{{{_API}}})", "{{dependency}}"),
                description="1 ready, 0 failing (the /health/ready view, worst replica).",
            )
        )
        .with_row(Row("Latency"))
        .with_panel(
            _timeseries(
                "Latency percentiles",
                "s",
                *(
                    (_latency("http_request_duration_seconds", _TRAFFIC, "le", q), f"p{q * 100:g}")
                    for q in (0.5, 0.95, 0.99)
                ),
                description=f"Alert when p95 > {lat.max_seconds:g}s.",
            ).thresholds(_limits((lat.max_seconds, "red")))
        )
        .with_panel(
            _timeseries(
                "p95 latency by handler",
                "s",
                (_latency("http_request_duration_seconds", _TRAFFIC, "le, handler", lat.quantile), "{{handler}}"),
            )
        )
        .with_row(Row("Saturation"))
        .with_panel(
            _timeseries(
                "Host CPU busy",
                "percentunit",
                (f'1 - avg(rate(node_cpu_seconds_total{{job="{JOB_NODE}",mode="idle"}}[{_RATE}]))', "cpu"),
                width=8,
            )
        )
        .with_panel(
            _timeseries(
                "Host memory used",
                "percentunit",
                (
                    (
                        f'1 - node_memory_MemAvailable_bytes{{job="{JOB_NODE}"}} / '
                        f'node_memory_MemTotal_bytes{{job="{JOB_NODE}"}}'
                    ),
                    "{{instance}}",
                ),
                width=8,
            )
        )
        .with_panel(
            _timeseries(
                "Queue depth",
                "short",
                (f"max by (queue) (ai_service_queue_depth{{{_API}}})", "{{queue}}"),
                width=8,
            )
        )
        .with_panel(_stat("Version", "none", "count by (version) (ai_service_build_info)", "{{version}}", width=24))
    )


def workers() -> Dashboard:
    worker = f'job="{JOB_WORKER}"'
    return (
        _dashboard("ai-service-workers", "AI service / Workers and queues", "RQ queues, job outcomes and embeddings.")
        .with_row(Row("Queues"))
        .with_panel(
            _timeseries(
                "Jobs waiting",
                "short",
                (f"max by (queue) (ai_service_queue_depth{{{_API}}})", "{{queue}}"),
                description=f"Alert when growing for {t.prom_duration(t.QUEUE_GROWING.for_s)} "
                f"with at least {t.QUEUE_GROWING.min_value:g} waiting.",
            )
        )
        .with_panel(
            _timeseries(
                "Workers up",
                "short",
                (f"sum(up{{{worker}}})", "workers"),
            )
        )
        .with_row(Row("Jobs"))
        .with_panel(
            _timeseries(
                "Jobs / s by outcome",
                "ops",
                (
                    f"sum by (queue, outcome) (rate(ai_service_jobs_total{{{worker}}}[{_RATE}]))",
                    "{{queue}} {{outcome}}",
                ),
            )
        )
        .with_panel(
            _timeseries(
                "Failed job ratio",
                "percentunit",
                (
                    (
                        f'sum by (queue) (rate(ai_service_jobs_total{{{worker},outcome="failed"}}[{_RATE}]))'
                        " / sum by (queue) "
                        f'(rate(ai_service_jobs_total{{{worker},outcome=~"succeeded|failed"}}[{_RATE}]))'
                    ),
                    "{{queue}}",
                ),
            ).thresholds(_limits((t.JOB_FAILURES.max_ratio, "red")))
        )
        .with_panel(
            _timeseries(
                "Job duration p50 / p95",
                "s",
                (_latency("ai_service_job_duration_seconds", worker, "le, queue", 0.5), "{{queue}} p50"),
                (_latency("ai_service_job_duration_seconds", worker, "le, queue", 0.95), "{{queue}} p95"),
                width=24,
            )
        )
        .with_row(Row("Embeddings"))
        .with_panel(
            _timeseries(
                "Embedding requests / s",
                "reqps",
                (
                    f"sum by (provider, outcome) (rate(ai_service_embedding_requests_total[{_RATE}]))",
                    "{{provider}} {{outcome}}",
                ),
            )
        )
        .with_panel(
            _timeseries(
                "Embedding latency p95",
                "s",
                (_latency("ai_service_embedding_duration_seconds", "", "le, provider", 0.95), "{{provider}}"),
            )
        )
    )


def resources() -> Dashboard:
    node = f'job="{JOB_NODE}"'
    redis = f'job="{JOB_REDIS}"'
    return (
        _dashboard("ai-service-resources", "AI service / Redis and host", "Redis and host resources.")
        .with_row(Row("Redis"))
        .with_panel(
            _stat("Redis up", "none", f"min(redis_up{{{redis}}})").thresholds(_limits((1, "green"), base="red"))
        )
        .with_panel(_stat("Connected clients", "short", f"sum(redis_connected_clients{{{redis}}})"))
        .with_panel(_stat("Commands / s", "ops", f"sum(rate(redis_commands_processed_total{{{redis}}}[{_RATE}]))"))
        .with_panel(_stat("Memory used", "bytes", f"sum(redis_memory_used_bytes{{{redis}}})"))
        .with_panel(
            _timeseries(
                "Redis memory",
                "bytes",
                (f"redis_memory_used_bytes{{{redis}}}", "used"),
                (f"redis_memory_max_bytes{{{redis}}} > 0", "maxmemory"),
                width=24,
            )
        )
        .with_row(Row("Host"))
        .with_panel(
            _timeseries(
                "CPU busy by mode",
                "percentunit",
                (
                    (
                        f'sum by (mode) (rate(node_cpu_seconds_total{{{node},mode!="idle"}}[{_RATE}]))'
                        f" / scalar(count(count by (cpu) (node_cpu_seconds_total{{{node}}})))"
                    ),
                    "{{mode}}",
                ),
            )
        )
        .with_panel(
            _timeseries(
                "Load (1m)",
                "short",
                (f"node_load1{{{node}}}", "{{instance}}"),
            )
        )
        .with_panel(
            _timeseries(
                "Memory available",
                "bytes",
                (f"node_memory_MemAvailable_bytes{{{node}}}", "available"),
                (f"node_memory_MemTotal_bytes{{{node}}}", "total"),
            )
        )
        .with_panel(
            _timeseries(
                "Disk used",
                "percentunit",
                (f"1 - node_filesystem_avail_bytes{{{_FS}}} / node_filesystem_size_bytes{{{_FS}}}", "{{mountpoint}}"),
                description=f"Alert above {t.DISK_USAGE.max_ratio:.0%}.",
            ).thresholds(_limits((t.DISK_USAGE.max_ratio, "red")))
        )
        .with_panel(
            _timeseries(
                "Network",
                "Bps",
                (f'sum(rate(node_network_receive_bytes_total{{{node},device!="lo"}}[{_RATE}]))', "receive"),
                (f'sum(rate(node_network_transmit_bytes_total{{{node},device!="lo"}}[{_RATE}]))', "transmit"),
                width=24,
            )
        )
    )


def dashboards() -> dict[str, dict[str, Any]]:
    """uid -> dashboard JSON (dict), ready for a provisioning file or a `grafana_dashboard` ConfigMap."""
    built = [overview(), workers(), resources()]
    out: dict[str, dict[str, Any]] = {}
    for builder in built:
        model = json.loads(JSONEncoder(sort_keys=True).encode(builder.build()))
        # The SDK leaves ids unset/0; Grafana links (viewPanel=) need unique, stable ones.
        for number, panel in enumerate(model["panels"], start=1):
            panel["id"] = number
        out[model["uid"]] = model
    return out


def dashboard_json(model: dict[str, Any]) -> str:
    return json.dumps(model, indent=2, sort_keys=True) + "\n"


def dashboard_queries() -> list[tuple[str, str]]:
    """("uid: panel title", PromQL) for every panel query; Grafana variables ($__rate_interval) left in."""
    return [
        (f"{uid}: {panel['title']}", target["expr"])
        for uid, model in dashboards().items()
        for panel in model["panels"]
        for target in panel.get("targets", [])
    ]
