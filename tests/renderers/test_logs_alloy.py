"""Alloy configs: valid against the component reference, and real service lines come out with
exactly the labels we promise (service, level) and the JSON fields the queries parse.

No Alloy binary is installable here; tests/support/alloy.py parses the syntax, checks each
component's documented arguments and references, and implements the stages we use.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

import httpx
import pytest

from infra.render.observability import logs
from tests.fixtures.services import free_port
from tests.support import alloy

DOCKER = logs.alloy_docker_config("ai-service")
KUBERNETES = logs.alloy_kubernetes_config("ai-service", "http://loki.monitoring.svc:3100")
COMPOSE_SERVICE = "__meta_docker_container_label_com_docker_compose_service"
REQUEST_FIELDS = {"request_id", "route", "method", "status", "duration_ms"}


@pytest.mark.parametrize("text", [DOCKER, KUBERNETES], ids=["docker", "kubernetes"])
def test_config_is_valid_against_the_component_reference(text: str) -> None:
    assert alloy.validate(alloy.parse(text)) == []


def test_the_checker_catches_mistakes() -> None:
    assert alloy.validate(alloy.parse(DOCKER.replace("forward_to    =", "forward_too   =")))
    assert alloy.validate(alloy.parse(DOCKER.replace("loki.write.loki.receiver", "loki.write.lokii.receiver")))
    assert alloy.validate(alloy.parse(DOCKER.replace("stage.labels", "stage.label")))
    with pytest.raises(alloy.AlloySyntaxError):
        alloy.parse(DOCKER.replace('"unix:///var/run/docker.sock"', "unix:///var/run/docker.sock", 1))


def test_docker_discovery_reads_only_this_compose_project() -> None:
    docker = alloy.component(alloy.parse(logs.alloy_docker_config("shop")), "discovery.docker", "containers")
    assert docker.children("filter")[0].attrs == {"name": "label", "values": ["com.docker.compose.project=shop"]}


@pytest.mark.parametrize(
    ("compose_service", "service"),
    [
        ("api-1", "api"),
        ("api-12", "api"),
        ("worker-documents-2", "worker-documents"),
        ("worker-cleanup-1", "worker-cleanup"),
        ("migrate", "migrate"),
        ("nginx", "nginx"),
        ("redis-exporter", "redis-exporter"),
        ("node-exporter", "node-exporter"),
    ],
)
def test_replicas_share_one_service_label(compose_service: str, service: str) -> None:
    rules = alloy.component(alloy.parse(DOCKER), "discovery.relabel", "containers").children("rule")
    labels = alloy.relabel(rules, {COMPOSE_SERVICE: compose_service, "__meta_docker_container_id": "abc"})
    assert alloy.visible(labels) == {"service": service}


def test_kubernetes_pods_map_to_service_and_their_log_files() -> None:
    rules = alloy.component(alloy.parse(KUBERNETES), "discovery.relabel", "pods").children("rule")
    component, instance = (
        "__meta_kubernetes_pod_label_app_kubernetes_io_component",
        "__meta_kubernetes_pod_label_app_kubernetes_io_instance",
    )
    pod = {
        component: "worker",
        instance: "documents",
        "__meta_kubernetes_pod_uid": "1234-abcd",
        "__meta_kubernetes_pod_container_name": "worker",
    }
    labels = alloy.relabel(rules, pod)
    assert alloy.visible(labels) == {"service": "worker-documents"}
    assert labels["__path__"] == "/var/log/pods/*1234-abcd/worker/*.log"
    assert alloy.visible(alloy.relabel(rules, {component: "api", "__meta_kubernetes_pod_uid": "9"})) == {
        "service": "api"
    }
    assert alloy.relabel(rules, {"__meta_kubernetes_pod_uid": "9"}) is None  # not one of our components


@pytest.mark.parametrize("level", ["debug", "info", "warning", "error", "critical"])
def test_known_levels_become_the_level_label(level: str) -> None:
    process = alloy.component(alloy.parse(DOCKER), "loki.process", logs.PIPELINE)
    entry = alloy.run_pipeline(process, json.dumps({"event": "x", "level": level}), {"service": "api"})
    assert entry.labels == {"service": "api", "level": level}


@pytest.mark.parametrize(
    "line",
    [
        json.dumps({"event": "x", "level": "Error: disk full at 03:00"}),  # free text must not become a label
        json.dumps({"event": "x", "level": 3}),
        '10.0.0.1 - - [22/Nov/2026:05:00:00 +0000] "GET / HTTP/1.1" 200 12',  # nginx access line
        "",
    ],
)
def test_other_lines_keep_only_the_service_label(line: str) -> None:
    process = alloy.component(alloy.parse(DOCKER), "loki.process", logs.PIPELINE)
    entry = alloy.run_pipeline(process, line, {"service": "nginx"})
    assert entry.labels == {"service": "nginx"} and entry.line == line


# --- real service lines ----------------------------------------------------------------------


@dataclass
class ServiceLogs:
    api: list[str]  # an API answering ok, 404, probe and 5xx (object storage down) requests
    pipeline: dict[str, list[str]]  # compose service -> lines, for an upload processed end to end
    document_id: str


@pytest.fixture(scope="module")
def service_logs(tmp_path_factory, redis_server, postgres, s3_server) -> ServiceLogs:
    """stdout of real `ai-service api` and `ai-service worker` processes."""
    from tests.fixtures.services import ServiceRunner, build_service_env, wait_until

    runner = ServiceRunner(tmp_path_factory.mktemp("logs"))
    try:
        # Storage points at a closed port: uploads fail with 503 the way they do when S3 is down.
        broken = build_service_env(
            redis_server,
            postgres,
            s3_server,
            LOG_LEVEL="DEBUG",
            S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}",
            AWS_MAX_ATTEMPTS="1",
        )
        api = runner.start("api", broken)
        with httpx.Client(base_url=api.url, timeout=30) as client:
            assert client.get("/health").status_code == 200
            assert client.get(f"/api/v1/documents/{uuid.uuid4()}").status_code == 404
            assert client.get("/no/such/route").status_code == 404
            upload = client.post(
                "/api/v1/documents",
                files={"file": ("a.txt", b"hello", "text/plain")},
                headers={"X-Request-ID": "logs-test-5xx"},
            )
            assert upload.status_code == 503, upload.text

        working = build_service_env(redis_server, postgres, s3_server)
        api_ok = runner.start("api", working)
        worker = runner.start("worker", working, "--queues", "document_processing")
        with httpx.Client(base_url=api_ok.url, timeout=30) as client:
            accepted = client.post("/api/v1/documents", files={"file": ("notes.txt", b"Basaltic lava.", "text/plain")})
            assert accepted.status_code == 202, accepted.text
            document_id = accepted.json()["id"]
            wait_until(
                lambda: client.get(f"/api/v1/documents/{document_id}").json()["status"] == "indexed",
                timeout=30,
                what="document indexed",
            )
    finally:
        runner.close()

    def lines(process) -> list[str]:
        return [line for line in process.log_lines() if line.strip()]

    return ServiceLogs(lines(api), {"api-1": lines(api_ok), "worker-documents-1": lines(worker)}, document_id)


@pytest.fixture(scope="module")
def service_lines(service_logs: ServiceLogs) -> list[str]:
    return service_logs.api


@pytest.mark.system
def test_service_writes_one_json_object_per_line(service_lines: list[str]) -> None:
    records = [json.loads(line) for line in service_lines]  # fails on any non-JSON line
    assert all(isinstance(r, dict) and {"timestamp", "level", "event"} <= r.keys() for r in records)
    requests = [r for r in records if r["event"] == "request"]
    assert len(requests) >= 3
    for record in requests:
        assert REQUEST_FIELDS <= record.keys(), record
        assert isinstance(record["status"], int) and isinstance(record["duration_ms"], int | float)


def _emulate_error_logs(entry: alloy.Entry) -> bool:
    """logs.ERROR_LOGS: level label error|critical, or the parsed status >= 500."""
    record = json.loads(entry.line)
    return entry.labels.get("level") in ("error", "critical") or record.get("status", 0) >= 500


@pytest.mark.system
@pytest.mark.parametrize("target", ["docker", "kubernetes"])
def test_real_lines_through_the_collector(service_lines: list[str], target: str) -> None:
    config = alloy.parse(DOCKER if target == "docker" else KUBERNETES)
    process = alloy.component(config, "loki.process", logs.PIPELINE)
    if target == "docker":
        rules = alloy.component(config, "discovery.relabel", "containers").children("rule")
        stream = alloy.visible(alloy.relabel(rules, {COMPOSE_SERVICE: "api-2"}))
        raw = service_lines
    else:  # the kubelet writes CRI lines; loki.source.file adds `filename`
        stream = {"service": "api", "filename": "/var/log/pods/ai-service_api-7d9_1234/api/0.log"}
        raw = [f"2026-11-22T05:00:00.000000000Z stdout F {line}" for line in service_lines]
    entries = [alloy.run_pipeline(process, line, stream) for line in raw]

    assert [e.line for e in entries] == service_lines  # the JSON line reaches Loki unchanged
    label_sets = {tuple(sorted(e.labels.items())) for e in entries}
    assert all(set(dict(s)) <= set(logs.LABELS) for s in label_sets), label_sets
    assert {dict(s)["level"] for s in label_sets} <= set(logs.LEVELS)
    assert {dict(s)["service"] for s in label_sets} == {"api"}
    assert len(label_sets) <= len(logs.LEVELS)  # request ids, routes, statuses never make streams

    errors = [json.loads(e.line) for e in entries if _emulate_error_logs(e)]
    events = {(r["event"], r.get("status")) for r in errors}
    assert ("dependency_error", None) in events and ("request", 503) in events
    # docs/observability.md's example query: 5xx on /api/v1/documents, found by its parsed fields.
    documents_5xx = [r for r in errors if r.get("route") == logs.DOCUMENTS_ROUTE and r.get("status", 0) >= 500]
    assert [r["request_id"] for r in documents_5xx] == ["logs-test-5xx"]


@pytest.mark.system
def test_grafana_request_link_finds_the_request_id_in_real_lines(service_lines: list[str]) -> None:
    """The datasource's derived field must match how the service writes request_id."""
    derived = logs.loki_datasource("http://loki:3100")["jsonData"]["derivedFields"][0]
    records = [(line, json.loads(line)) for line in service_lines]
    with_id = [(line, r["request_id"]) for line, r in records if "request_id" in r]
    assert with_id
    for line, request_id in with_id:
        assert re.search(derived["matcherRegex"], line).group(1) == request_id


@pytest.mark.system
def test_one_upload_is_followed_from_api_to_worker_by_document_id(service_logs: ServiceLogs) -> None:
    """docs/observability.md's query `{service=~"api|worker-.+"} | json | document_id="..."` finds both sides."""
    config = alloy.parse(DOCKER)
    rules = alloy.component(config, "discovery.relabel", "containers").children("rule")
    process = alloy.component(config, "loki.process", logs.PIPELINE)
    found = {}
    for compose_service, lines in service_logs.pipeline.items():
        stream = alloy.visible(alloy.relabel(rules, {COMPOSE_SERVICE: compose_service}))
        for line in lines:
            entry = alloy.run_pipeline(process, line, stream)
            record = json.loads(line)  # worker lines are one JSON object each too
            assert {"timestamp", "level", "event"} <= record.keys()
            assert set(entry.labels) <= set(logs.LABELS)
            if record.get("document_id") == service_logs.document_id:
                found.setdefault(entry.labels["service"], []).append(record["event"])
    assert "document_uploaded" in found["api"]
    assert "document_indexed" in found["worker-documents"]
