"""A team's own image on the droplet: the service contract from config reaches every workload of the release.

(nginx -t and `docker-compose config -q` of the same plan: tests/droplet/test_rendered.py, `rendered_own_app`.)
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from infra.render.dockerhost.deploy import deploy_scripts
from infra.tooling.values import masked, unwrapped
from tests.droplet.test_extras import manifest, release_env, secret_files, services
from tests.fixtures.own_app import COMMANDS, ENV, OWN_APP, SCHEDULES, SECRET_ENV
from tests.support.tools import require_tool

ROLES = ("migrate", "api-1", "api-2", "worker-documents-1", "worker-documents-2", "worker-cleanup-1", "scheduler")


@pytest.fixture(scope="module")
def own(plan_stack):
    return plan_stack("dev", **OWN_APP)


def test_every_service_container_runs_its_roles_argv(own):
    compose = services(own)
    argv = {name: compose[name]["entrypoint"] + compose[name].get("command", []) for name in ROLES}
    assert argv["migrate"] == COMMANDS["migrate"]
    assert argv["api-1"] == argv["api-2"] == COMMANDS["api"]
    assert argv["worker-documents-1"] == ["python", "-m", "invoices.worker", "--queues=document_processing"]
    assert argv["worker-cleanup-1"] == ["python", "-m", "invoices.worker", "--queues=cleanup_tasks"]
    assert argv["scheduler"] == COMMANDS["scheduler"]
    # SCHEDULES keeps the reference format: the words after commands.task (the app's scheduler prefixes them).
    schedules = json.loads(compose["scheduler"]["environment"]["SCHEDULES"])
    assert schedules == [{"name": "reminders", "cron": "*/5 * * * *", "command": SCHEDULES[0]["command"]}]


def test_the_app_env_and_port_reach_every_role_and_probes_use_its_paths(own):
    compose = services(own)
    for name in ROLES:
        environment = compose[name]["environment"]
        assert environment["PORT"] == "8080", name
        # compose.yaml escapes `$` (never interpolated): the container sees `hello $USER`
        assert {k: environment[k].replace("$$", "$") for k in ENV} == ENV, name
        assert compose[name]["env_file"][0] == "secrets/app.env", name
    assert "GREETING: hello $$USER" in manifest(own)["files"]["compose.yaml"]
    for api in ("api-1", "api-2"):
        assert "http://127.0.0.1:8080/livez" in " ".join(compose[api]["healthcheck"]["test"])
    assert compose["nginx"]["healthcheck"]["test"][-1] == "http://127.0.0.1/livez"


def test_the_edge_the_release_gates_and_monitoring_follow_the_port_and_paths(own):
    nginx = own.artifacts["nginx/nginx.conf"]
    for path in ("/livez", "/readyz"):
        assert f"location = {path} {{\n            access_log off;" in nginx
    assert "location = /health " not in nginx
    assert "proxy_read_timeout 300s;" in nginx and "proxy_send_timeout 300s;" in nginx
    env = release_env(own)
    assert (env["API_PORT"], env["READY_PATH"]) == ("8080", "/readyz")  # rollout.sh: upstream lines and gates
    scrape = yaml.safe_load(own.artifacts["prometheus/prometheus.yml"])
    jobs = {job["job_name"]: job for job in scrape["scrape_configs"]}
    assert {t for s in jobs["api"]["static_configs"] for t in s["targets"]} == {"api-1:8080", "api-2:8080"}
    uptime = unwrapped(own.one("UptimeCheck").inputs)["target"]
    assert uptime.endswith("/livez")


def test_secret_env_is_only_in_the_release_secrets(own):
    assert not own.problems, own.problems
    app_env = secret_files(own)["secrets/app.env"]
    for name, value in SECRET_ENV.items():
        assert f"{name}='{value}'" in app_env
    published = json.dumps(masked(own.as_dict()))
    for value in SECRET_ENV.values():
        assert value not in published
        for path, text in own.artifacts.items():
            assert value not in str(text), f"{value} leaked into {path}"
        assert value not in unwrapped(own.one("index/droplet:Droplet").inputs["userData"])


class _App(BaseHTTPRequestHandler):
    """An API replica of the own app: ready on /readyz only."""

    def do_GET(self):  # noqa: N802
        self.send_response(200 if self.path == "/readyz" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_deploy_gates_probe_the_releases_readiness_path(tmp_path):
    """lib.sh's replica gate (curl on the replica's address) asks READY_PATH from release.env, not /health/ready."""
    bash = require_tool("bash", "apt-get install -y bash")
    require_tool("curl", "apt-get install -y curl")
    for name, text in deploy_scripts().items():
        (tmp_path / name.removeprefix("deploy/")).write_text(text)
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "docker").write_text("#!/bin/sh\necho 127.0.0.1\n")  # `docker inspect` -> the replica's address
    (fake / "docker").chmod(0o755)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _App)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_port
    env = {
        "PATH": f"{fake}:{os.environ['PATH']}",
        "AGENT_CONF": "/nonexistent",
        "HOST_ENV": "/nonexistent",
        "HEALTH_TIMEOUT": "3",
    }

    def gate(ready_path: str | None) -> subprocess.CompletedProcess:
        release = f"READY_PATH='{ready_path}'\n" if ready_path else ""
        (tmp_path / "release.env").write_text(release)
        script = f'. "{tmp_path}/lib.sh"; . "{tmp_path}/release.env"; edge_url; replica_ready api-1 {port}'
        return subprocess.run([bash, "-c", script], env=env, capture_output=True, text=True, timeout=30)

    try:
        ready = gate("/readyz")
        assert ready.returncode == 0, ready.stderr
        assert ready.stdout.strip() == "http://127.0.0.1/readyz"  # the edge check's URL
        reference = gate(None)  # a release without READY_PATH: the reference service's path
        assert reference.returncode == 1 and f"127.0.0.1:{port}/health/ready" in reference.stderr
    finally:
        server.shutdown()
