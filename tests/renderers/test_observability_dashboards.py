"""Grafana dashboards: every query parses in promtool and reads only contract metrics."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import yaml
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard as DashboardModel

from infra.render.observability.dashboards import dashboard_queries, dashboards
from infra.render.observability.grafana import PROMETHEUS_DATASOURCE_UID
from infra.render.observability.render import MonitoringInputs, render_monitoring_files
from tests.support.tools import require_tool

# Grafana's own variables are not PromQL; substitute what Grafana would at 15 s scrapes.
GRAFANA_VARIABLES = {"$__rate_interval": "1m"}


def _panels() -> list[tuple[str, dict[str, Any]]]:
    return [(uid, p) for uid, d in dashboards().items() for p in d["panels"] if p["type"] != "row"]


def dashboard_exprs() -> list[tuple[str, str]]:
    found = []
    for where, expr in dashboard_queries():
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        found.append((where, expr))
    return found


def test_every_dashboard_query_parses_in_promtool(tmp_path: Path) -> None:
    """promtool has no expression checker: each query becomes a throwaway recording rule."""
    promtool = require_tool("promtool", "apt-get install -y prometheus")
    exprs = dashboard_exprs()
    group = {
        "name": "dashboard-queries",
        "rules": [{"record": f"dashboard:query_{i}", "expr": e} for i, (_, e) in enumerate(exprs)],
    }
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [group]}))
    result = subprocess.run([promtool, "check", "rules", str(path)], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in result.stdout


def test_dashboards_cover_each_service_metric_family() -> None:
    """The overview/workers/resources split shows every metric the service promises."""
    text = " ".join(e for _, e in dashboard_exprs())
    for family in (
        "http_requests_total",
        "http_request_duration_seconds",
        "ai_service_queue_depth",
        "ai_service_jobs_total",
        "ai_service_job_duration_seconds",
        "ai_service_dependency_up",
        "ai_service_embedding_requests_total",
        "ai_service_embedding_duration_seconds",
        "ai_service_build_info",
        "redis_up",
        "node_filesystem_avail_bytes",
    ):
        assert family in text, family


def test_dashboards_have_stable_uids_and_use_the_provisioned_datasource() -> None:
    models = dashboards()
    assert sorted(models) == ["ai-service-overview", "ai-service-resources", "ai-service-workers"]
    assert dashboards() == models  # deterministic: same JSON on every render
    for uid, model in models.items():
        ids = [p["id"] for p in model["panels"]]
        assert len(ids) == len(set(ids)), uid
    for uid, panel in _panels():
        assert panel["targets"], f"{uid}: {panel['title']} has no query"
        refs = [panel["datasource"], *(t["datasource"] for t in panel["targets"])]
        assert all(r == {"type": "prometheus", "uid": PROMETHEUS_DATASOURCE_UID} for r in refs), (uid, panel["title"])


def test_dashboard_files_load_back_into_the_grafana_schema() -> None:
    register_default_plugins()
    files = render_monitoring_files(MonitoringInputs("dev", ("api-1",), ("worker-1",)))
    for uid in dashboards():
        data = json.loads(files[f"grafana/dashboards/{uid}.json"])
        model = DashboardModel.from_json(data)
        assert model.uid == uid and model.title.startswith("AI service / ")
        assert len(model.panels) == len(data["panels"])
