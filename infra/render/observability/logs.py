"""Central logs: Grafana Loki (single binary) fed by Grafana Alloy, searched in Grafana.

Pure renderers, no Pulumi import. Used by the docker hosts (droplet, local) and by the
Kubernetes stack (Helm values); Fargate and Cloud Run keep their platform logs.

Label policy (every distinct label set is a Loki stream, so labels stay few): a stream carries
exactly two labels, both bounded:
- `service`: the compose service / pod component without its replica number
  (`api`, `worker-documents`, `migrate`, `nginx`, `redis`, ...), at most one per container kind;
- `level`: the service's JSON `level`, kept only when it is one of `LEVELS`.
Everything else the service logs (route, status, request_id, duration_ms, method, event, logger)
stays in the JSON line and is parsed at query time with `| json`, so high-cardinality values
such as request ids never become streams.

The service writes one JSON object per line (app/src/ai_service/logs.py); the queries below rely
on its field names, and a test feeds real service lines through `ALLOY_PIPELINE`'s stages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from infra.render.observability import services
from infra.render.observability.metrics import ALERTMANAGER_PORT, JOB_API, JOB_WORKER
from infra.render.observability.services import MonitoringService, Mount
from infra.render.observability.thresholds import Severity, prom_duration
from infra.render.yaml_text import dump

# renovate: datasource=docker depName=grafana/loki
LOKI_IMAGE = "grafana/loki:3.7.7"
# renovate: datasource=docker depName=grafana/alloy
ALLOY_IMAGE = "grafana/alloy:v1.19.2"

LOKI = "loki"  # container / host name on the compose network
ALLOY = "alloy"
LOKI_PORT = 3100
LOKI_GRPC_PORT = 9095
ALLOY_PORT = 12345
LOKI_UID = 10001  # the grafana/loki image user
ALLOY_UID = 0  # reads the Docker socket: see log_services()
LOKI_MEMORY_MIB = 256
ALLOY_MEMORY_MIB = 128
LOGS_MEMORY_MIB = LOKI_MEMORY_MIB + ALLOY_MEMORY_MIB

LOKI_DATASOURCE_UID = "loki"
TENANT = "fake"  # auth_enabled: false -> Loki's single tenant; the ruler reads rules/<tenant>/*.yml
LOKI_RULES_FILE = "ai-service-logs.yml"
LOKI_RULES_DIR = "/etc/loki/rules"
LOKI_DATA_DIR = "/loki"
SCHEMA_START = "2025-01-01"  # first day of the tsdb v13 schema period; never change for a running Loki

LABELS = ("service", "level")
LEVELS = ("debug", "info", "warning", "error", "critical")  # structlog's add_log_level names
ERROR_LEVELS = "error|critical"
# Compose service / pod component -> `service` label: the replica suffix goes (api-2 -> api).
SERVICE_REGEX = "(.+?)(-[0-9]+)?"

# --- LogQL: every query we ship (dashboard, alert, datasource link, docs) ----------------------
APP_SERVICES = "api|worker-.+|migrate"
APP = f'{{service=~"{APP_SERVICES}"}}'
API = '{service="api"}'
DOCUMENTS_ROUTE = "/api/v1/documents"

# Error lines of the service: error/critical level, or a request answered with 5xx (logged at info).
ERROR_LOGS = f'{APP} | json | level=~"{ERROR_LEVELS}" or status >= 500'
# The example docs/observability.md shows: 5xx on /api/v1/documents (Grafana's time picker sets "the last hour").
DOCUMENTS_5XX = f'{API} |= "{DOCUMENTS_ROUTE}" | json | route="{DOCUMENTS_ROUTE}" and status >= 500'
SLOW_REQUESTS = f"{API} | json | duration_ms > 1000"
ERROR_LOG_RATE = f'sum by (service) (count_over_time({{service=~"{APP_SERVICES}", level=~"{ERROR_LEVELS}"}}[$__auto]))'
LOG_VOLUME = 'sum by (service, level) (count_over_time({service=~".+"}[$__auto]))'
API_5XX_BY_ROUTE = f"sum by (route) (count_over_time({API} | json | status >= 500 [$__auto]))"
# Grafana derived field: every line of one request (the request id is substituted by Grafana).
REQUEST_LINES = '{service=~".+"} |= "${__value.raw}"'


@dataclass(frozen=True)
class ErrorBurst:
    """Alert when one service writes more than `max_lines` error lines within `window_s`."""

    max_lines: int
    window_s: int
    for_s: int
    severity: Severity


ERROR_BURST = ErrorBurst(max_lines=20, window_s=300, for_s=60, severity="warning")


def error_burst_expr(burst: ErrorBurst = ERROR_BURST) -> str:
    # `component` matches the Prometheus scrape job (api, worker) so Alertmanager's inhibit rule
    # mutes this warning while a critical alert of the same component (e.g. ApiHighErrorRate) fires.
    count = (
        f'sum by (service) (count_over_time({{service=~"{APP_SERVICES}", level=~"{ERROR_LEVELS}"}}'
        f"[{prom_duration(burst.window_s)}]))"
    )
    return (
        f'label_replace({count}, "component", "$1", "service", "({JOB_API}|{JOB_WORKER}|migrate).*") > '
        f"{burst.max_lines}"
    )


def shipped_queries() -> dict[str, str]:
    """name -> LogQL of every query in rendered files (the examples in docs/observability.md are checked from there)."""
    return {
        "error logs": ERROR_LOGS,
        "documents 5xx": DOCUMENTS_5XX,
        "slow requests": SLOW_REQUESTS,
        "error log rate": ERROR_LOG_RATE,
        "log volume": LOG_VOLUME,
        "api 5xx by route": API_5XX_BY_ROUTE,
        "request lines": REQUEST_LINES,
        "error burst alert": error_burst_expr(),
    }


# --- Loki ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LokiInputs:
    stack: str
    retention_days: int = 7
    alertmanager_url: str = f"http://{services.ALERTMANAGER}:{ALERTMANAGER_PORT}"
    memory_mib: int = LOKI_MEMORY_MIB

    def __post_init__(self) -> None:
        if not self.stack:
            raise ValueError("loki inputs: stack name must not be empty")
        if not 1 <= self.retention_days <= 365:
            raise ValueError(f"logs retention must be 1..365 days, got {self.retention_days}")
        if not self.alertmanager_url.startswith(("http://", "https://")):
            raise ValueError(f"loki inputs: alertmanager url must be http(s)://, got {self.alertmanager_url!r}")


def limits_config(retention_days: int) -> dict[str, Any]:
    """Per-tenant limits, shared by the docker hosts' loki.yml and the Helm values."""
    retention = f"{retention_days * 24}h"
    return {
        "retention_period": retention,
        "reject_old_samples": True,
        "reject_old_samples_max_age": f"{min(retention_days, 7) * 24}h",
        "ingestion_rate_mb": 4,
        "ingestion_burst_size_mb": 8,
        # Labels are service x level: a few dozen streams. A cap turns a label leak into
        # rejected pushes (visible in Alloy's logs) instead of an index explosion.
        "max_global_streams_per_user": 500,
        "max_label_names_per_series": 8,
        # Loki 3 would copy `service` into a third label `service_name` and guess a level; we
        # already have both.
        "discover_service_name": [],
        "discover_log_levels": False,
        "max_query_lookback": retention,
        "max_entries_limit_per_query": 5000,
        "volume_enabled": True,
    }


def schema_config() -> dict[str, Any]:
    return {
        "configs": [
            {
                "from": SCHEMA_START,
                "store": "tsdb",
                "object_store": "filesystem",
                "schema": "v13",
                "index": {"prefix": "index_", "period": "24h"},
            }
        ]
    }


def loki_config(inputs: LokiInputs) -> dict[str, Any]:
    """Single-binary Loki on a local volume: filesystem chunks, tsdb index, compactor retention."""
    return {
        "auth_enabled": False,
        "server": {"http_listen_port": LOKI_PORT, "grpc_listen_port": LOKI_GRPC_PORT, "log_level": "warn"},
        "common": {
            "instance_addr": "127.0.0.1",
            "path_prefix": LOKI_DATA_DIR,
            "replication_factor": 1,
            "ring": {"kvstore": {"store": "inmemory"}},
            "storage": {
                "filesystem": {
                    "chunks_directory": f"{LOKI_DATA_DIR}/chunks",
                    "rules_directory": f"{LOKI_DATA_DIR}/rules",
                }
            },
        },
        "schema_config": schema_config(),
        # The WAL replays into memory after a restart: keep that under the container limit.
        "ingester": {"wal": {"replay_memory_ceiling": f"{inputs.memory_mib * 4 // 10}MB"}},
        "querier": {"max_concurrent": 2},  # 2 vCPUs on the droplet; bounds query memory too
        "query_range": {
            "cache_results": True,
            "results_cache": {"cache": {"embedded_cache": {"enabled": True, "max_size_mb": 32}}},
        },
        "limits_config": limits_config(inputs.retention_days),
        "compactor": {
            "working_directory": f"{LOKI_DATA_DIR}/compactor",
            "compaction_interval": "10m",
            "retention_enabled": True,
            "retention_delete_delay": "2h",
            "delete_request_store": "filesystem",
        },
        "ruler": {
            "storage": {"type": "local", "local": {"directory": LOKI_RULES_DIR}},
            "rule_path": f"{LOKI_DATA_DIR}/rules-temp",
            "alertmanager_url": inputs.alertmanager_url,
            "enable_api": True,
            "evaluation_interval": "1m",
            "ring": {"kvstore": {"store": "inmemory"}},
            "external_labels": {"stack": inputs.stack},
        },
        "pattern_ingester": {"enabled": False},
        "analytics": {"reporting_enabled": False},
    }


def render_loki_yaml(inputs: LokiInputs) -> str:
    return dump(loki_config(inputs), header="Generated by infra.render.observability.logs — do not edit by hand.")


def log_rule_groups(burst: ErrorBurst = ERROR_BURST) -> dict[str, Any]:
    """Loki ruler rules (Prometheus rule-file format, LogQL expressions)."""
    window = prom_duration(burst.window_s)
    return {
        "groups": [
            {
                "name": "ai-service-logs",
                "interval": "1m",
                "rules": [
                    {
                        "alert": "ErrorLogBurst",
                        "expr": error_burst_expr(burst),
                        "for": prom_duration(burst.for_s),
                        "labels": {"severity": burst.severity},
                        "annotations": {
                            "summary": "{{ $labels.service }} writes a burst of error logs",
                            "description": (
                                f"{{{{ $labels.service }}}} wrote {{{{ $value }}}} error/critical lines in {window} "
                                f"(alert above {burst.max_lines})."
                            ),
                            "runbook": (
                                "Open Grafana > AI service / Logs (error logs next to the 5xx ratio), or Explore "
                                f"with: {ERROR_LOGS}"
                            ),
                        },
                    }
                ],
            }
        ]
    }


def render_log_rules_yaml() -> str:
    return dump(log_rule_groups(), header="Generated by infra.render.observability.logs — do not edit by hand.")


# --- Alloy ---------------------------------------------------------------------------------


def _alloy_value(value: Any) -> str:
    """Alloy syntax literal: strings are JSON-quoted (same escapes), lists and objects recurse."""
    if isinstance(value, Ref):
        return value.expr
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_alloy_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_alloy_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot render {value!r} in Alloy syntax")


@dataclass(frozen=True)
class Ref:
    """A reference to another component's export, e.g. Ref("loki.write.default.receiver")."""

    expr: str


@dataclass(frozen=True)
class Block:
    """An Alloy block: `name "label" { attr = value ... child blocks ... }`."""

    name: str
    label: str | None = None
    attrs: tuple[tuple[str, Any], ...] = ()
    blocks: tuple[Block, ...] = ()

    def render(self, indent: int = 0) -> str:
        pad = "  " * indent
        head = f'{pad}{self.name} "{self.label}" {{' if self.label is not None else f"{pad}{self.name} {{"
        lines = [head]
        width = max((len(k) for k, _ in self.attrs), default=0)
        lines += [f"{pad}  {k.ljust(width)} = {_alloy_value(v)}" for k, v in self.attrs]
        lines += [b.render(indent + 1) for b in self.blocks]
        lines.append(f"{pad}}}")
        return "\n".join(lines)


def _block(kind: str, label: str | None = None, /, *blocks: Block, **attrs: Any) -> Block:
    return Block(kind, label, tuple(attrs.items()), blocks)


def _rule(**attrs: Any) -> Block:
    return _block("rule", None, **attrs)


PIPELINE = "service_levels"  # the loki.process component every source forwards to
WRITER = "loki"


def level_stages() -> tuple[Block, ...]:
    """JSON `level` -> `level` label, only for the known level names (bounded by construction)."""
    return (
        _block("stage.json", None, expressions={"raw_level": "level"}),
        _block("stage.regex", None, source="raw_level", expression=f"^(?P<level>{'|'.join(LEVELS)})$"),
        _block("stage.labels", None, values={"level": ""}),
    )


def _pipeline(loki_push_url: str, pre_stages: tuple[Block, ...] = (), drop_labels: tuple[str, ...] = ()) -> list[Block]:
    stages = [*pre_stages, *level_stages()]
    if drop_labels:
        stages.append(_block("stage.label_drop", None, values=list(drop_labels)))
    return [
        Block("loki.process", PIPELINE, (("forward_to", [Ref(f"loki.write.{WRITER}.receiver")]),), tuple(stages)),
        _block("loki.write", WRITER, _block("endpoint", None, url=loki_push_url)),
    ]


def _render_alloy(blocks: list[Block]) -> str:
    header = "// Generated by infra.render.observability.logs — do not edit by hand.\n"
    return header + "\n\n".join(b.render() for b in blocks) + "\n"


def loki_push_url(base: str) -> str:
    return f"{base.rstrip('/')}/loki/api/v1/push"


def alloy_docker_config(compose_project: str, loki_url: str = f"http://{LOKI}:{LOKI_PORT}") -> str:
    """Docker host: every container of the compose project, labelled by compose service."""
    if not compose_project:
        raise ValueError("alloy: compose project must not be empty")
    socket = "unix:///var/run/docker.sock"
    blocks = [
        _block("logging", None, level="warn", format="json"),
        _block(
            "discovery.docker",
            "containers",
            _block("filter", None, name="label", values=[f"com.docker.compose.project={compose_project}"]),
            host=socket,
            refresh_interval="15s",
        ),
        _block(
            "discovery.relabel",
            "containers",
            _rule(
                source_labels=["__meta_docker_container_label_com_docker_compose_service"],
                regex=SERVICE_REGEX,
                target_label="service",
            ),
            targets=[],
        ),
        _block(
            "loki.source.docker",
            "containers",
            host=socket,
            targets=Ref("discovery.docker.containers.targets"),
            relabel_rules=Ref("discovery.relabel.containers.rules"),
            forward_to=[Ref(f"loki.process.{PIPELINE}.receiver")],
        ),
        *_pipeline(loki_push_url(loki_url)),
    ]
    return _render_alloy(blocks)


def alloy_kubernetes_config(
    namespace: str,
    loki_url: str,
    component_label: str = "app.kubernetes.io/component",
    instance_label: str = "app.kubernetes.io/instance",
) -> str:
    """Kubernetes (Alloy DaemonSet): pod logs of `namespace` read from the node's /var/log/pods.

    `service` = component, plus `-instance` where pods carry one (worker groups: worker-documents).
    """
    if not namespace:
        raise ValueError("alloy: namespace must not be empty")

    def meta(label: str) -> str:
        return "__meta_kubernetes_pod_label_" + "".join(c if c.isalnum() else "_" for c in label)

    blocks = [
        _block("logging", None, level="warn", format="json"),
        _block("discovery.kubernetes", "pods", _block("namespaces", None, names=[namespace]), role="pod"),
        _block(
            "discovery.relabel",
            "pods",
            # "api" + "" -> "api-" -> api; "worker" + "documents" -> worker-documents
            _rule(
                source_labels=[meta(component_label), meta(instance_label)],
                separator="-",
                regex="([^-].*?)-?",
                target_label="service",
            ),
            _rule(source_labels=["service"], regex="", action="drop"),
            _rule(
                source_labels=["__meta_kubernetes_pod_uid", "__meta_kubernetes_pod_container_name"],
                separator="/",
                regex="(.+)",
                replacement="/var/log/pods/*$1/*.log",
                target_label="__path__",
            ),
            targets=Ref("discovery.kubernetes.pods.targets"),
        ),
        _block("local.file_match", "pods", path_targets=Ref("discovery.relabel.pods.output")),
        _block(
            "loki.source.file",
            "pods",
            targets=Ref("local.file_match.pods.targets"),
            forward_to=[Ref(f"loki.process.{PIPELINE}.receiver")],
        ),
        # CRI lines carry time/stream/flags; the file source adds `filename`: neither is a label we keep.
        *_pipeline(
            loki_push_url(loki_url), pre_stages=(_block("stage.cri", None),), drop_labels=("filename", "stream")
        ),
    ]
    return _render_alloy(blocks)


# --- Grafana -------------------------------------------------------------------------------


def loki_datasource(url: str) -> dict[str, Any]:
    """Grafana datasource entry (provisioning file or kube-prometheus-stack additionalDataSources)."""
    return {
        "name": "Loki",
        "type": "loki",
        "uid": LOKI_DATASOURCE_UID,
        "access": "proxy",
        "url": url,
        "editable": False,
        "jsonData": {
            "maxLines": 1000,
            "timeout": 60,
            # Click a request_id in any line -> every line of that request, across services.
            # `$$` keeps Grafana's provisioning from expanding `${...}` as an environment variable.
            "derivedFields": [
                {
                    "name": "request_id",
                    "matcherType": "regex",
                    "matcherRegex": r'"request_id": "([0-9A-Za-z._-]+)"',
                    "url": REQUEST_LINES.replace("$", "$$"),
                    "datasourceUid": LOKI_DATASOURCE_UID,
                    "urlDisplayLabel": "All lines of this request",
                }
            ],
        },
    }


def render_loki_datasource_yaml(url: str = f"http://{LOKI}:{LOKI_PORT}") -> str:
    return dump(
        {"apiVersion": 1, "datasources": [loki_datasource(url)]},
        header="Generated by infra.render.observability.logs — do not edit by hand.",
    )


# --- Docker hosts --------------------------------------------------------------------------

LOKI_CONFIG_FILE = "loki/loki.yml"
LOKI_RULES_PATH = f"loki/rules/{TENANT}/{LOKI_RULES_FILE}"
ALLOY_CONFIG_FILE = "alloy/config.alloy"
LOKI_DATASOURCE_FILE = "grafana/provisioning/datasources/loki.yml"


@dataclass(frozen=True)
class LogInputs:
    """What a docker host knows: stack, retention and the compose project whose containers are read."""

    stack: str
    retention_days: int = 7
    compose_project: str = "ai-service"


def log_services() -> list[MonitoringService]:
    """Loki and Alloy containers; mounts match `log_dashboard.render_log_files`.

    Alloy reads container logs through the Docker API, so it runs as root with the socket
    mounted (the socket is root:docker 0660). That is access equal to root on the host: the
    container publishes no port and its image is pinned.
    """
    loki = MonitoringService(
        name=LOKI,
        image=LOKI_IMAGE,
        uid=LOKI_UID,
        memory_mib=LOKI_MEMORY_MIB,
        cpus=0.25,
        ports=(LOKI_PORT,),
        command=("-config.file=/etc/loki/loki.yml",),
        mounts=(
            Mount(LOKI_CONFIG_FILE, "/etc/loki/loki.yml"),
            Mount("loki/rules", LOKI_RULES_DIR),
            Mount("loki-data", LOKI_DATA_DIR, read_only=False, volume=True),
        ),
        health_path="/ready",  # the image has busybox wget (distroless :debug base)
    )
    alloy = MonitoringService(
        name=ALLOY,
        image=ALLOY_IMAGE,
        uid=ALLOY_UID,
        memory_mib=ALLOY_MEMORY_MIB,
        cpus=0.25,
        ports=(ALLOY_PORT,),
        command=(
            "run",
            f"--server.http.listen-addr=0.0.0.0:{ALLOY_PORT}",
            "--storage.path=/var/lib/alloy/data",
            "--disable-reporting",
            "/etc/alloy/config.alloy",
        ),
        mounts=(
            Mount(ALLOY_CONFIG_FILE, "/etc/alloy/config.alloy"),
            Mount("/var/run/docker.sock", "/var/run/docker.sock"),
            # Read positions survive restarts: no re-shipped or skipped lines.
            Mount("alloy-data", "/var/lib/alloy/data", read_only=False, volume=True),
        ),
        health_path=None,  # the image has no wget; Alloy's own /-/ready is scraped by nobody here
    )
    return [replace(s, environment={**s.environment, "GOMEMLIMIT": s.go_memory_limit}) for s in (loki, alloy)]
