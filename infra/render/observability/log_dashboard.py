"""The `AI service / Logs` dashboard (grafana-foundation-sdk): error logs next to the 5xx ratio.

Provisioned only where Loki runs (docker hosts with logs on, Kubernetes with logs on), so the
other dashboards never point at a missing datasource. The 5xx ratio panel reads the same
recording rule as the overview dashboard and the ApiHighErrorRate alert.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders.common import VizLegendOptions
from grafana_foundation_sdk.builders.dashboard import Row
from grafana_foundation_sdk.builders.logs import Panel as Logs
from grafana_foundation_sdk.builders.loki import Dataquery as LokiQuery
from grafana_foundation_sdk.builders.prometheus import Dataquery as PromQuery
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import LegendDisplayMode, LegendPlacement, LogsSortOrder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from infra.render.observability import logs
from infra.render.observability import thresholds as t
from infra.render.observability.dashboards import _dashboard, _limits, dashboard_json
from infra.render.observability.grafana import PROMETHEUS_DATASOURCE_UID
from infra.render.observability.rules import error_ratio_record

LOGS_DASHBOARD_UID = "ai-service-logs"
_LOKI = DataSourceRef(type_val="loki", uid=logs.LOKI_DATASOURCE_UID)
_PROM = DataSourceRef(type_val="prometheus", uid=PROMETHEUS_DATASOURCE_UID)


def _legend() -> VizLegendOptions:
    return VizLegendOptions().display_mode(LegendDisplayMode.LIST).placement(LegendPlacement.BOTTOM).show_legend(True)


def _log_panel(title: str, expr: str, description: str, width: int = 12, height: int = 10) -> Logs:
    return (
        Logs()
        .title(title)
        .description(description)
        .datasource(_LOKI)
        .height(height)
        .span(width)
        .show_time(True)
        .wrap_log_message(True)
        .prettify_log_message(False)
        .enable_log_details(True)
        .sort_order(LogsSortOrder.DESCENDING)
        .with_target(LokiQuery().expr(expr).ref_id("A").max_lines(500).datasource(_LOKI))
    )


def _log_rate(title: str, expr: str, legend: str, description: str, width: int = 12) -> Timeseries:
    return (
        Timeseries()
        .title(title)
        .unit("short")
        .datasource(_LOKI)
        .height(8)
        .span(width)
        .description(description)
        .legend(_legend())
        .with_target(LokiQuery().expr(expr).legend_format(legend).ref_id("A").datasource(_LOKI))
    )


def logs_dashboard() -> dict[str, Any]:
    err = t.ERROR_RATE
    window = t.prom_duration(err.window_s)
    builder = (
        _dashboard(
            LOGS_DASHBOARD_UID,
            "AI service / Logs",
            "Service logs from Loki: error lines next to the 5xx ratio, volume, slow requests.",
        )
        .time("now-1h", "now")
        .with_row(Row("Errors"))
        .with_panel(
            Timeseries()
            .title(f"5xx ratio ({window})")
            .unit("percentunit")
            .datasource(_PROM)
            .height(10)
            .span(12)
            .description(f"Share of user requests answered with 5xx; ApiHighErrorRate fires above {err.max_ratio:.0%}.")
            .legend(_legend())
            .with_target(
                PromQuery()
                .expr(error_ratio_record(err.window_s))
                .legend_format("5xx ratio")
                .ref_id("A")
                .datasource(_PROM)
            )
            .thresholds(_limits((err.max_ratio, "red")))
        )
        .with_panel(
            _log_panel(
                "Error logs",
                logs.ERROR_LOGS,
                (
                    "error/critical lines and requests answered with 5xx, newest first; click request_id for the "
                    "whole request."
                ),
            )
        )
        .with_panel(
            _log_rate(
                "Error lines by service",
                logs.ERROR_LOG_RATE,
                "{{service}}",
                f"ErrorLogBurst fires above {logs.ERROR_BURST.max_lines} lines in "
                f"{t.prom_duration(logs.ERROR_BURST.window_s)} for one service.",
            )
        )
        .with_panel(
            _log_rate(
                "API 5xx by route (from logs)",
                logs.API_5XX_BY_ROUTE,
                "{{route}}",
                "Parsed at query time from the JSON line: route and status are not labels.",
            )
        )
        .with_row(Row("Requests"))
        .with_panel(
            _log_panel(f"5xx on {logs.DOCUMENTS_ROUTE}", logs.DOCUMENTS_5XX, "Uploads answered with 5xx.", height=8)
        )
        .with_panel(
            _log_panel(
                "Slow requests (> 1 s)", logs.SLOW_REQUESTS, "API requests whose duration_ms exceeds 1000.", height=8
            )
        )
        .with_row(Row("Volume"))
        .with_panel(
            _log_rate(
                "Log lines by service and level",
                logs.LOG_VOLUME,
                "{{service}} {{level}}",
                "Every stream: labels are service and level only.",
                width=24,
            )
        )
    )
    model = json.loads(JSONEncoder(sort_keys=True).encode(builder.build()))
    for number, panel in enumerate(model["panels"], start=1):
        panel["id"] = number  # stable ids for viewPanel= links (the SDK leaves them unset)
    return model


def dashboard_log_queries(model: dict[str, Any]) -> list[tuple[str, str]]:
    """("panel title", LogQL) of every Loki query in `model`."""
    return [
        (panel["title"], target["expr"])
        for panel in model["panels"]
        for target in panel.get("targets", [])
        if target.get("datasource", {}).get("type") == "loki"
    ]


def render_log_files(inputs: logs.LogInputs) -> dict[str, str]:
    """relative path -> text: Loki config and rules, Alloy config, Grafana datasource and dashboard."""
    dashboard = logs_dashboard()
    return {
        logs.LOKI_CONFIG_FILE: logs.render_loki_yaml(
            logs.LokiInputs(stack=inputs.stack, retention_days=inputs.retention_days)
        ),
        logs.LOKI_RULES_PATH: logs.render_log_rules_yaml(),
        logs.ALLOY_CONFIG_FILE: logs.alloy_docker_config(inputs.compose_project),
        logs.LOKI_DATASOURCE_FILE: logs.render_loki_datasource_yaml(),
        f"grafana/dashboards/{dashboard['uid']}.json": dashboard_json(dashboard),
    }
