"""The whole monitoring file set of a docker host (droplet, local), paths as in `plan --render`.

`render_monitoring_files` returns only non-secret files: they may be published, diffed and
stored in a release manifest. The secrets those files point at (Slack webhook, Grafana admin
password, Redis password for the exporter) come from `render_secret_files`, which the host
component writes with mode 0600 and never publishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infra.render.observability import grafana, services
from infra.render.observability.alertmanager import AlertingInputs, render_alertmanager_yaml
from infra.render.observability.dashboards import dashboard_json, dashboards
from infra.render.observability.log_dashboard import render_log_files
from infra.render.observability.logs import LogInputs
from infra.render.observability.metrics import (
    ALERTMANAGER_PORT,
    API_PORT,
    NODE_EXPORTER_PORT,
    PROMETHEUS_PORT,
    REDIS_EXPORTER_PORT,
    WORKER_METRICS_PORT,
)
from infra.render.observability.prometheus import PrometheusInputs, ScrapeTargets, render_prometheus_yaml
from infra.render.observability.rules import RULES_FILE, render_rules_yaml
from infra.render.observability.thresholds import SCRAPE_INTERVAL_S, prom_duration
from infra.settings.secrets import is_opaque


@dataclass(frozen=True)
class MonitoringInputs:
    """What a docker host knows: its stack name and the container names of api and workers."""

    stack: str
    api_hosts: tuple[str, ...]
    worker_hosts: tuple[str, ...]
    slack_enabled: bool = False
    slack_channel: str | None = None
    logs: LogInputs | None = None  # central logs (Loki + Alloy) when on
    api_port: int = API_PORT  # where the API serves /metrics (ai-service:port)

    def __post_init__(self) -> None:
        if not self.stack:
            raise ValueError("monitoring inputs: stack name must not be empty")
        for role, hosts in (("api", self.api_hosts), ("worker", self.worker_hosts)):
            bad = [h for h in hosts if not h or ":" in h or "/" in h]
            if bad:
                raise ValueError(
                    f"monitoring inputs: {role} hosts must be bare host names (the port is added), got {bad}"
                )


def docker_scrape_targets(inputs: MonitoringInputs) -> ScrapeTargets:
    """Targets by container name on the compose network (names from `services`)."""
    return ScrapeTargets(
        api=tuple(f"{h}:{inputs.api_port}" for h in inputs.api_hosts),
        worker=tuple(f"{h}:{WORKER_METRICS_PORT}" for h in inputs.worker_hosts),
        redis=(f"{services.REDIS_EXPORTER}:{REDIS_EXPORTER_PORT}",),
        node=(f"{services.NODE_EXPORTER}:{NODE_EXPORTER_PORT}",),
        prometheus=(f"localhost:{PROMETHEUS_PORT}",),
        alertmanager=(f"{services.ALERTMANAGER}:{ALERTMANAGER_PORT}",),
    )


def render_monitoring_files(inputs: MonitoringInputs, targets: ScrapeTargets | None = None) -> dict[str, str]:
    """relative path -> file text. `targets` overrides the compose-network defaults (tests)."""
    alerting = AlertingInputs(slack_enabled=inputs.slack_enabled, slack_channel=inputs.slack_channel)
    files = {
        "prometheus/prometheus.yml": render_prometheus_yaml(
            PrometheusInputs(stack=inputs.stack, targets=targets or docker_scrape_targets(inputs))
        ),
        f"prometheus/rules/{RULES_FILE}": render_rules_yaml(),
        "alertmanager/alertmanager.yml": render_alertmanager_yaml(alerting),
        "grafana/provisioning/datasources/datasources.yml": grafana.render_datasources_yaml(
            f"http://{services.PROMETHEUS}:{PROMETHEUS_PORT}",
            f"http://{services.ALERTMANAGER}:{ALERTMANAGER_PORT}",
            prom_duration(SCRAPE_INTERVAL_S),
        ),
        "grafana/provisioning/dashboards/ai-service.yml": grafana.render_dashboards_provider_yaml(),
    }
    files |= {f"grafana/dashboards/{uid}.json": dashboard_json(model) for uid, model in dashboards().items()}
    if inputs.logs is not None:
        files |= render_log_files(inputs.logs)
    return files


def render_secret_files(
    *, grafana_admin_password: str, slack_webhook_url: str | None = None, redis_password: str | None = None
) -> dict[str, str]:
    """relative path -> secret file text, for the paths the monitoring containers mount."""
    if not grafana_admin_password:
        raise ValueError("grafana admin password must not be empty")
    files = {services.SECRET_GRAFANA_PASSWORD: grafana_admin_password}
    if slack_webhook_url is not None:
        # An offline plan holds an opaque stand-in for the encrypted value: only a real value can be checked.
        if not slack_webhook_url.startswith("https://") and not is_opaque(slack_webhook_url):
            raise ValueError("slack webhook url must start with https://")
        files[services.SECRET_SLACK_WEBHOOK] = slack_webhook_url
    if redis_password is not None:
        if "\n" in redis_password:
            raise ValueError("redis password must be a single line")
        files[services.SECRET_REDIS_EXPORTER_ENV] = f"REDIS_PASSWORD={redis_password}\n"
    return files


def write_files(files: dict[str, str], root: Path, mode: int = 0o644) -> list[Path]:
    """Write `files` under `root` (the only I/O in this package); returns the written paths."""
    written = []
    for relative, text in files.items():
        if relative.startswith("/") or ".." in relative.split("/"):
            raise ValueError(f"file path must stay inside {root}: {relative}")
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)
        written.append(path)
    return written
