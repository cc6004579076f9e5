"""prometheus.yml, alertmanager.yml and Grafana provisioning, checked by promtool / amtool."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from infra.render.observability import grafana, services
from infra.render.observability.alertmanager import SLACK_WEBHOOK_FILE, AlertingInputs
from infra.render.observability.metrics import SCRAPE_JOBS
from infra.render.observability.prometheus import ScrapeTargets
from infra.render.observability.render import (
    MonitoringInputs,
    render_monitoring_files,
    render_secret_files,
    write_files,
)
from tests.support.tools import require_tool

WEBHOOK_SENTINEL = "https://hooks.slack.com/services/T000SENTINEL/B000SENTINEL/webhook-sentinel-7f3a"
PASSWORD_SENTINEL = "grafana-password-sentinel-91c2"
REDIS_SENTINEL = "redis-password-sentinel-55aa"


def _inputs(slack: bool) -> MonitoringInputs:
    return MonitoringInputs(
        stack="dev",
        api_hosts=("api-1", "api-2"),
        worker_hosts=("worker-documents-1", "worker-documents-2", "worker-cleanup-1"),
        slack_enabled=slack,
        slack_channel="#ai-service-alerts" if slack else None,
    )


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=False, capture_output=True, text=True)


@pytest.fixture(scope="module", params=[True, False], ids=["slack", "silent"])
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    files = render_monitoring_files(_inputs(slack=request.param))
    root = tmp_path_factory.mktemp("monitoring")
    write_files(files, root)
    return root, files


def test_promtool_accepts_prometheus_config_and_finds_the_rules(rendered: tuple[Path, dict[str, str]]) -> None:
    promtool = require_tool("promtool", "apt-get install -y prometheus")
    root, _ = rendered
    result = _run(promtool, "check", "config", str(root / "prometheus/prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout


def test_scrape_jobs_follow_the_contract(rendered: tuple[Path, dict[str, str]]) -> None:
    config = yaml.safe_load(rendered[1]["prometheus/prometheus.yml"])
    jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    assert tuple(jobs) == SCRAPE_JOBS
    assert jobs["api"] == ["api-1:8000", "api-2:8000"]
    assert jobs["worker"] == ["worker-documents-1:8001", "worker-documents-2:8001", "worker-cleanup-1:8001"]
    assert jobs["redis"] == ["redis-exporter:9121"] and jobs["node"] == ["node-exporter:9100"]
    assert config["global"]["scrape_interval"] == "15s"
    assert config["global"]["external_labels"] == {"stack": "dev"}
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]


@pytest.mark.parametrize("bad", ["api-1", ":8000", "api-1:http"])
def test_bad_scrape_target_is_rejected_by_name(bad: str) -> None:
    with pytest.raises(ValueError, match=f"scrape target for api must be host:port, got '{bad}'"):
        ScrapeTargets(api=(bad,), worker=())


def test_bad_monitoring_inputs_are_named() -> None:
    with pytest.raises(
        ValueError, match=r"api hosts must be bare host names \(the port is added\), got \['api-1:8000'\]"
    ):
        MonitoringInputs("dev", ("api-1:8000",), ())
    with pytest.raises(ValueError, match="stack name must not be empty"):
        MonitoringInputs("", ("api-1",), ())


def test_amtool_accepts_alertmanager_config(rendered: tuple[Path, dict[str, str]]) -> None:
    amtool = require_tool("amtool", "apt-get install -y prometheus-alertmanager")
    root, _ = rendered
    result = _run(amtool, "check-config", str(root / "alertmanager/alertmanager.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("slack,receiver", [(True, "slack"), (False, "null")])
@pytest.mark.parametrize("severity", ["critical", "warning"])
def test_alerts_route_to_slack_only_when_configured(tmp_path: Path, slack: bool, receiver: str, severity: str) -> None:
    amtool = require_tool("amtool", "apt-get install -y prometheus-alertmanager")
    write_files(render_monitoring_files(_inputs(slack)), tmp_path)
    config = str(tmp_path / "alertmanager/alertmanager.yml")
    result = _run(
        amtool,
        "config",
        "routes",
        "test",
        f"--config.file={config}",
        f"severity={severity}",
        "alertname=ApiDown",
        "component=api",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == receiver


def test_critical_alert_mutes_warnings_of_the_same_component() -> None:
    config = yaml.safe_load(render_monitoring_files(_inputs(True))["alertmanager/alertmanager.yml"])
    assert config["inhibit_rules"] == [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": ["stack", "component"],
        }
    ]


def test_secrets_never_reach_rendered_files() -> None:
    secrets = render_secret_files(
        grafana_admin_password=PASSWORD_SENTINEL, slack_webhook_url=WEBHOOK_SENTINEL, redis_password=REDIS_SENTINEL
    )
    for slack in (True, False):
        for path, text in render_monitoring_files(_inputs(slack)).items():
            for sentinel in (WEBHOOK_SENTINEL, "T000SENTINEL", PASSWORD_SENTINEL, REDIS_SENTINEL):
                assert sentinel not in text, f"{sentinel} leaked into {path}"
    assert secrets[services.SECRET_SLACK_WEBHOOK] == WEBHOOK_SENTINEL
    assert secrets[services.SECRET_GRAFANA_PASSWORD] == PASSWORD_SENTINEL
    assert secrets[services.SECRET_REDIS_EXPORTER_ENV] == f"REDIS_PASSWORD={REDIS_SENTINEL}\n"


def test_slack_reads_the_webhook_from_the_file_the_container_mounts() -> None:
    config = yaml.safe_load(render_monitoring_files(_inputs(True))["alertmanager/alertmanager.yml"])
    slack = next(r for r in config["receivers"] if r["name"] == "slack")["slack_configs"][0]
    assert "api_url" not in slack and slack["api_url_file"] == SLACK_WEBHOOK_FILE
    am = next(s for s in services.monitoring_services(slack_enabled=True) if s.name == "alertmanager")
    assert services.Mount(services.SECRET_SLACK_WEBHOOK, SLACK_WEBHOOK_FILE) in am.mounts


def test_slack_message_templates_render_in_amtool(tmp_path: Path) -> None:
    """Alertmanager parses message templates only when it notifies: render them now with amtool."""
    amtool = require_tool("amtool", "apt-get install -y prometheus-alertmanager")
    config = yaml.safe_load(render_monitoring_files(_inputs(True))["alertmanager/alertmanager.yml"])
    slack = next(r for r in config["receivers"] if r["name"] == "slack")["slack_configs"][0]
    labels = {"alertname": "RedisDown", "severity": "critical", "stack": "dev", "component": "redis"}
    alert = {
        "status": "firing",
        "labels": labels,
        "startsAt": "2026-01-01T00:00:00Z",
        "annotations": {"summary": "Redis is unreachable", "description": "no jobs", "runbook": "check redis"},
    }
    data = {
        "receiver": "slack",
        "status": "firing",
        "alerts": [alert],
        "groupLabels": {"alertname": "RedisDown"},
        "commonLabels": labels,
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager",
    }
    (tmp_path / "data.json").write_text(json.dumps(data))
    (tmp_path / "none.tmpl").write_text("")
    rendered = {}
    for field in ("title", "text"):
        result = _run(
            amtool,
            "template",
            "render",
            f"--template.glob={tmp_path / 'none.tmpl'}",
            f"--template.data={tmp_path / 'data.json'}",
            f"--template.text={slack[field]}",
        )
        assert result.returncode == 0, result.stderr
        rendered[field] = result.stdout
    assert rendered["title"].strip() == "[FIRING:1] RedisDown (dev)"
    assert "*critical* Redis is unreachable" in rendered["text"] and "_Runbook:_ check redis" in rendered["text"]


def test_bad_alerting_inputs_are_named() -> None:
    with pytest.raises(ValueError, match="slack channel must start with # or @"):
        AlertingInputs(slack_enabled=True, slack_channel="alerts")
    with pytest.raises(ValueError, match="slack webhook url must start with https://"):
        render_secret_files(grafana_admin_password="x", slack_webhook_url="http://example.invalid")


def test_grafana_provisioning_matches_dashboards_and_mounts() -> None:
    files = render_monitoring_files(_inputs(False))
    sources = yaml.safe_load(files["grafana/provisioning/datasources/datasources.yml"])["datasources"]
    prometheus = next(s for s in sources if s["type"] == "prometheus")
    assert prometheus["uid"] == grafana.PROMETHEUS_DATASOURCE_UID and prometheus["isDefault"]
    assert prometheus["url"] == "http://prometheus:9090"
    assert prometheus["jsonData"]["timeInterval"] == "15s"
    provider = yaml.safe_load(files["grafana/provisioning/dashboards/ai-service.yml"])["providers"][0]
    gf = next(s for s in services.monitoring_services(slack_enabled=False) if s.name == "grafana")
    assert services.Mount("grafana/dashboards", provider["options"]["path"]) in gf.mounts
    assert gf.environment["GF_SECURITY_ADMIN_PASSWORD__FILE"] == grafana.ADMIN_PASSWORD_FILE
    assert "GF_SECURITY_ADMIN_PASSWORD" not in gf.environment
    home = gf.environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"].removeprefix(provider["options"]["path"] + "/")
    assert f"grafana/dashboards/{home}" in files


def test_grafana_root_url_behind_a_sub_path() -> None:
    env = grafana.grafana_environment("https://ai.example.com/grafana/")
    assert env["GF_SERVER_SERVE_FROM_SUB_PATH"] == "true" and env["GF_SECURITY_COOKIE_SECURE"] == "true"
    with pytest.raises(ValueError, match="grafana root url must be an absolute http"):
        grafana.grafana_environment("ai.example.com/grafana")
