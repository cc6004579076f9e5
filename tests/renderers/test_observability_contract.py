"""The metric contract holds end to end: rules and dashboards read only contract metrics, the
real service exposes each one, and a real Prometheus scrapes it with the rendered config and rules."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import promql_parser
import pytest
from prometheus_client.parser import text_string_to_metric_families

from infra.render.observability import rules, services, thresholds
from infra.render.observability.dashboards import dashboard_queries
from infra.render.observability.metrics import CONTRACT_SERIES, SERVICE_METRICS, series_names
from infra.render.observability.prometheus import ScrapeTargets
from infra.render.observability.render import MonitoringInputs, render_monitoring_files, write_files
from tests.fixtures.services import ServiceProcess, ServiceRunner, build_service_env, free_port, wait_until
from tests.support.tools import require_tool

RECORDED = frozenset(r["record"] for g in rules.rule_groups()["groups"] for r in g["rules"] if "record" in r)
SERVICE_SERIES = series_names(SERVICE_METRICS)


def _selectors(expr: str) -> set[tuple[str, str | None]]:
    """(metric name, job it is selected from or None) for every vector selector in `expr`."""
    nodes: list[object] = []
    promql_parser.walk(promql_parser.parse(expr.replace("$__rate_interval", "1m")), nodes.append)
    found = set()
    for node in nodes:
        if isinstance(node, promql_parser.VectorSelector):
            jobs = [m.value for m in node.matchers.matchers if m.name == "job" and m.op == promql_parser.MatchOp.Equal]
            found.add((node.name, jobs[0] if jobs else None))
    return found


def _referenced() -> dict[tuple[str, str | None], str]:
    """Every selector used by a rule or dashboard -> where it is used."""
    exprs = [(r.get("alert") or r["record"], r["expr"]) for g in rules.rule_groups()["groups"] for r in g["rules"]]
    refs: dict[tuple[str, str | None], str] = {}
    for where, expr in [*exprs, *dashboard_queries()]:
        for selector in _selectors(expr):
            refs.setdefault(selector, where)
    return refs


def test_rules_and_dashboards_read_only_contract_metrics() -> None:
    unknown = {where: name for (name, _), where in _referenced().items() if name not in CONTRACT_SERIES | RECORDED}
    assert unknown == {}


def test_renderers_never_import_pulumi() -> None:
    """Renderers are pure: importing the whole package must not load any Pulumi SDK."""
    probe = (
        "import sys, infra.render.observability.render; "
        "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('pulumi')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd=Path(__file__).parents[2]
    )
    assert result.stdout.strip() == "[]"


# --- against the real service ----------------------------------------------------------------


@dataclass
class Running:
    api: ServiceProcess
    worker: ServiceProcess


@pytest.fixture(scope="module")
def running(redis_server, postgres, s3_server, tmp_path_factory) -> Iterator[Running]:
    """API + worker on real Redis/Postgres/S3, after real traffic: one document indexed, one search."""
    env = build_service_env(redis_server, postgres, s3_server)
    runner = ServiceRunner(tmp_path_factory.mktemp("service-logs"))
    try:
        api = runner.start("api", env)
        worker = runner.start("worker", env, "--queues", "document_processing,cleanup_tasks")
        upload = httpx.post(
            f"{api.url}/api/v1/documents",
            files={"file": ("notes.txt", b"Prometheus scrapes the service.", "text/plain")},
        )
        assert upload.status_code == 202, upload.text
        document = f"{api.url}/api/v1/documents/{upload.json()['id']}"
        wait_until(lambda: httpx.get(document).json()["status"] == "indexed", timeout=30, what="document indexed")
        assert httpx.get(f"{api.url}/api/v1/search", params={"q": "prometheus"}).status_code == 200
        yield Running(api, worker)
    finally:
        runner.close()


def _exposed(url: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """series name -> [(labels, value)] from a real /metrics page."""
    response = httpx.get(f"{url}/metrics")
    assert response.status_code == 200
    exposed: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            exposed.setdefault(sample.name, []).append((sample.labels, sample.value))
    return exposed


@pytest.mark.system
def test_service_exposes_every_metric_rules_and_dashboards_read(running: Running) -> None:
    by_job = {"api": _exposed(running.api.url), "worker": _exposed(running.worker.url)}
    anywhere = set(by_job["api"]) | set(by_job["worker"])
    missing = {}
    for (name, job), where in _referenced().items():
        if name not in SERVICE_SERIES:
            continue  # exporters and `up` are not the service's
        present = name in by_job[job] if job in by_job else name in anywhere
        if not present:
            missing[f"{name}{{job={job}}}"] = where
    assert missing == {}


@pytest.mark.system
def test_service_metrics_carry_the_labels_rules_rely_on(running: Running) -> None:
    api, worker = _exposed(running.api.url), _exposed(running.worker.url)
    statuses = {labels["status"] for labels, _ in api["http_requests_total"]}
    assert statuses and all(s.isdigit() and len(s) == 3 for s in statuses), statuses  # "202", not "2xx"
    handlers = {labels["handler"] for labels, _ in api["http_requests_total"]}
    assert "/api/v1/documents" in handlers and "/metrics" not in handlers
    assert {labels["dependency"]: v for labels, v in api["ai_service_dependency_up"]} == {
        "database": 1.0,
        "redis": 1.0,
        "storage": 1.0,
    }
    assert {labels["queue"] for labels, _ in api["ai_service_queue_depth"]} == {"document_processing", "cleanup_tasks"}
    assert ({"queue": "document_processing", "outcome": "succeeded"}, 1.0) in worker["ai_service_jobs_total"]
    # p95 > 5 s can only be seen if a finite bucket lies above 5 s.
    bounds = {float(labels["le"]) for labels, _ in api["http_request_duration_seconds_bucket"]}
    assert any(thresholds.LATENCY_P95.max_seconds < b < float("inf") for b in bounds), sorted(bounds)


@dataclass
class PrometheusServer:
    url: str
    process: subprocess.Popen


@pytest.fixture(scope="module")
def prometheus(running: Running, tmp_path_factory) -> Iterator[PrometheusServer]:
    """The Debian prometheus binary with the rendered config and rules, targets at the running service."""
    binary = require_tool("prometheus", "apt-get install -y prometheus")
    root = tmp_path_factory.mktemp("prometheus")
    port = free_port()
    targets = ScrapeTargets(
        api=(f"127.0.0.1:{running.api.port}",),
        worker=(f"127.0.0.1:{running.worker.port}",),
        prometheus=(f"127.0.0.1:{port}",),
        alertmanager=(f"127.0.0.1:{free_port()}",),  # nobody listens: notifications fail, rules still run
    )
    write_files(render_monitoring_files(MonitoringInputs("test", ("api",), ("worker",)), targets), root)
    container = next(s for s in services.monitoring_services(slack_enabled=False) if s.name == "prometheus")
    host_flags = [f for f in container.command if f.startswith(("--storage.tsdb.retention", "--web.enable-lifecycle"))]
    with (root / "prometheus.log").open("w") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={root / 'prometheus/prometheus.yml'}",
                f"--storage.tsdb.path={root / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                *host_flags,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = PrometheusServer(f"http://127.0.0.1:{port}", process)
    try:
        wait_until(lambda: _ready(server), timeout=30, what="prometheus ready")
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


def _ready(server: PrometheusServer) -> bool:
    if server.process.poll() is not None:
        raise AssertionError("prometheus exited at start")
    try:
        return httpx.get(f"{server.url}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _api(server: PrometheusServer, path: str, **params: str) -> object:
    body = httpx.get(f"{server.url}/api/v1/{path}", params=params, timeout=5).json()
    assert body["status"] == "success", body
    return body["data"]


@pytest.mark.system
def test_real_prometheus_scrapes_the_service_and_runs_every_rule(prometheus: PrometheusServer) -> None:
    def health() -> dict[str, str]:
        return {t["labels"]["job"]: t["health"] for t in _api(prometheus, "targets")["activeTargets"]}

    wait_until(
        lambda: health() == {"api": "up", "worker": "up", "prometheus": "up"},
        timeout=60,
        what="api, worker and prometheus targets up",
        interval=1,
    )

    expected = {g["name"]: len(g["rules"]) for g in rules.rule_groups()["groups"]}
    loaded = _api(prometheus, "rules")["groups"]
    assert {g["name"]: len(g["rules"]) for g in loaded} == expected

    def evaluated() -> bool:
        return all(r["health"] == "ok" for g in _api(prometheus, "rules")["groups"] for r in g["rules"])

    wait_until(evaluated, timeout=60, what="every rule evaluated without error", interval=1)

    ready = _api(prometheus, "query", query='ai_service_dependency_up{job="api"}')["result"]
    assert {r["metric"]["dependency"]: r["value"][1] for r in ready} == {"database": "1", "redis": "1", "storage": "1"}


@pytest.mark.system
def test_prometheus_memory_fits_its_container_limit(prometheus: PrometheusServer) -> None:
    """Limits hold at least 1.3x the measured peak RSS (docs/decisions/0097). Prints the figure for the report."""
    status = Path(f"/proc/{prometheus.process.pid}/status").read_text()
    peak_kib = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
    limit = next(s for s in services.monitoring_services(slack_enabled=False) if s.name == "prometheus").memory_mib
    print(f"prometheus peak RSS {peak_kib / 1024:.0f} MiB, limit {limit} MiB")
    assert peak_kib / 1024 * 1.3 <= limit
