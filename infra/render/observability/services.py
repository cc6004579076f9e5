"""The monitoring containers of a docker host (droplet, local) as plain data.

The compose renderer turns these into services; nothing here knows about compose syntax.
Images are pinned to exact versions (Renovate moves them). Limits are lean so the 4 GB
droplet also holds the service, Redis and nginx (a test keeps this table equal to the code):

| service        | image                               | memory  | cpus |
|----------------|-------------------------------------|---------|------|
| prometheus     | prom/prometheus:v3.5.0 (LTS)        | 320 MiB | 0.50 |
| alertmanager   | prom/alertmanager:v0.28.1           |  64 MiB | 0.10 |
| grafana        | grafana/grafana:12.2.1              | 256 MiB | 0.25 |
| node-exporter  | prom/node-exporter:v1.9.1           |  48 MiB | 0.10 |
| redis-exporter | oliver006/redis_exporter:v1.81.0    |  48 MiB | 0.10 |
| total          |                                     | 736 MiB | 1.05 |

Prometheus keeps the SLO period (30 days) or 2 GB of samples, whichever is hit first: the
availability panel reads the whole period; retention costs disk, not memory (the head block
holds the last ~2 h). Every Go process gets GOMEMLIMIT at 80% of its limit so the garbage
collector works before the OOM killer does.
All five images run as non-root users by default (`uid`); a secret file a container mounts
must be owned by that uid (`secret_file_owners`), or the container cannot read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from infra.render.observability import grafana
from infra.render.observability.alertmanager import SLACK_WEBHOOK_FILE
from infra.render.observability.metrics import (
    ALERTMANAGER_PORT,
    GRAFANA_PORT,
    NODE_EXPORTER_PORT,
    PROMETHEUS_PORT,
    REDIS_EXPORTER_PORT,
)
from infra.render.observability.thresholds import AVAILABILITY

# Container names double as host names on the compose network (scrape targets, datasource URLs).
PROMETHEUS = "prometheus"
ALERTMANAGER = "alertmanager"
GRAFANA = "grafana"
NODE_EXPORTER = "node-exporter"
REDIS_EXPORTER = "redis-exporter"

NOBODY = 65534  # the prom/* images run as nobody

MONITORING_MEMORY_MIB = 736
PROMETHEUS_RETENTION_TIME = f"{AVAILABILITY.period_days}d"
PROMETHEUS_RETENTION_SIZE = "2GB"

# Host-side paths, relative to the rendered file set (render.render_monitoring_files).
SECRET_SLACK_WEBHOOK = "secrets/slack-webhook-url"
SECRET_GRAFANA_PASSWORD = "secrets/grafana-admin-password"
SECRET_REDIS_EXPORTER_ENV = "secrets/redis-exporter.env"


@dataclass(frozen=True)
class Mount:
    """`source`: relative = inside the rendered files, absolute = a host path, `volume` = a named volume."""

    source: str
    target: str
    read_only: bool = True
    volume: bool = False


@dataclass(frozen=True)
class MonitoringService:
    name: str
    image: str
    uid: int  # the image's non-root user: secret files it mounts must be readable by it
    memory_mib: int
    cpus: float
    ports: tuple[int, ...]
    command: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()
    environment: dict[str, str] = field(default_factory=dict)
    env_files: tuple[str, ...] = ()  # secret env files, relative to the rendered files
    health_path: str | None = None  # HTTP GET on the first port answers 200 when healthy

    @property
    def go_memory_limit(self) -> str:
        return f"{self.memory_mib * 8 // 10}MiB"


def monitoring_services(
    *,
    slack_enabled: bool,
    redis_address: str = "redis://redis:6379",
    redis_password: bool = True,
    grafana_root_url: str | None = None,
) -> list[MonitoringService]:
    """The five monitoring containers; mounts match the paths `render_monitoring_files` writes."""
    am_mounts = [
        Mount("alertmanager/alertmanager.yml", "/etc/alertmanager/alertmanager.yml"),
        Mount("alertmanager-data", "/alertmanager", read_only=False, volume=True),
    ]
    if slack_enabled:
        am_mounts.append(Mount(SECRET_SLACK_WEBHOOK, SLACK_WEBHOOK_FILE))
    services = [
        MonitoringService(
            name=PROMETHEUS,
            uid=NOBODY,
            # renovate: datasource=docker
            image="prom/prometheus:v3.5.0",
            memory_mib=320,
            cpus=0.5,
            ports=(PROMETHEUS_PORT,),
            command=(
                "--config.file=/etc/prometheus/prometheus.yml",
                "--storage.tsdb.path=/prometheus",
                f"--storage.tsdb.retention.time={PROMETHEUS_RETENTION_TIME}",
                f"--storage.tsdb.retention.size={PROMETHEUS_RETENTION_SIZE}",
                "--web.enable-lifecycle",  # the deploy agent POSTs /-/reload after writing new rules
            ),
            mounts=(
                Mount("prometheus/prometheus.yml", "/etc/prometheus/prometheus.yml"),
                Mount("prometheus/rules", "/etc/prometheus/rules"),
                Mount("prometheus-data", "/prometheus", read_only=False, volume=True),
            ),
            health_path="/-/healthy",
        ),
        MonitoringService(
            name=ALERTMANAGER,
            uid=NOBODY,
            # renovate: datasource=docker
            image="prom/alertmanager:v0.28.1",
            memory_mib=64,
            cpus=0.1,
            ports=(ALERTMANAGER_PORT,),
            command=("--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"),
            mounts=tuple(am_mounts),
            health_path="/-/healthy",
        ),
        MonitoringService(
            name=GRAFANA,
            uid=472,
            # renovate: datasource=docker
            image="grafana/grafana:12.2.1",
            memory_mib=256,
            cpus=0.25,
            ports=(GRAFANA_PORT,),
            mounts=(
                Mount("grafana/provisioning", grafana.PROVISIONING_DIR),
                Mount("grafana/dashboards", grafana.DASHBOARDS_DIR),
                Mount(SECRET_GRAFANA_PASSWORD, grafana.ADMIN_PASSWORD_FILE),
                Mount("grafana-data", "/var/lib/grafana", read_only=False, volume=True),
            ),
            environment=grafana.grafana_environment(grafana_root_url),
            health_path="/api/health",
        ),
        MonitoringService(
            name=NODE_EXPORTER,
            uid=NOBODY,
            # renovate: datasource=docker
            image="prom/node-exporter:v1.9.1",
            memory_mib=48,
            cpus=0.1,
            ports=(NODE_EXPORTER_PORT,),
            # Host filesystems read-only under /host: disk and memory figures are the droplet's.
            command=(
                "--path.rootfs=/host/root",
                "--path.procfs=/host/proc",
                "--path.sysfs=/host/sys",
                "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|var/lib/docker/.+)($|/)",
            ),
            mounts=(Mount("/", "/host/root"), Mount("/proc", "/host/proc"), Mount("/sys", "/host/sys")),
        ),
        MonitoringService(
            name=REDIS_EXPORTER,
            uid=59000,
            # renovate: datasource=docker
            image="oliver006/redis_exporter:v1.81.0",
            memory_mib=48,
            cpus=0.1,
            ports=(REDIS_EXPORTER_PORT,),
            environment={"REDIS_ADDR": redis_address},
            # REDIS_PASSWORD=... lives in a 0600 env file on the host, never in rendered files.
            env_files=(SECRET_REDIS_EXPORTER_ENV,) if redis_password else (),
            health_path="/health",
        ),
    ]
    return [replace(s, environment={**s.environment, "GOMEMLIMIT": s.go_memory_limit}) for s in services]


def secret_file_owners(running: list[MonitoringService]) -> dict[str, int]:
    """Secret file (relative path) -> uid that must own it (mode 0400): the container user mounting it.

    Env files are read by the container engine as root and need no particular owner.
    """
    secret_paths = {SECRET_SLACK_WEBHOOK, SECRET_GRAFANA_PASSWORD}
    return {m.source: s.uid for s in running for m in s.mounts if m.source in secret_paths}
