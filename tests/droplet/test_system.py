"""The droplet's workload for real, without Docker: the RENDERED nginx.conf (upstreams and paths
as parameters) under the real nginx binary, in front of two real API processes, a real worker,
Redis, Postgres + pgvector (pgserver) and the S3 API (moto).

Also measures each process's peak RSS and checks the compose memory limits keep 1.3× headroom.
"""

from __future__ import annotations

import asyncio
import math
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from infra.render.dockerhost import topology
from infra.render.dockerhost.nginx import SECURITY_HEADERS, NginxInputs, render_nginx_conf
from infra.settings import Settings
from tests.fixtures.services import ServiceRunner, build_service_env, free_port, wait_until
from tests.support.tls import self_signed
from tests.support.tools import require_tool

pytestmark = pytest.mark.system
SETTINGS = Settings()
HEADROOM = 1.3


class Edge:
    def __init__(self, root: Path, runner: ServiceRunner, env: dict[str, str]):
        self.root, self.runner, self.env = root, runner, env
        self.apis = [runner.start("api", {**env, "PORT": str(free_port())}) for _ in range(SETTINGS.api_replicas)]
        self.worker = runner.start("worker", env, "--queues", ",".join(SETTINGS.queues))
        self.port = free_port()
        self.access_log = root / "access.log"
        self.inputs = NginxInputs(
            api_upstreams=tuple(f"127.0.0.1:{api.port}" for api in self.apis),
            max_body_bytes=SETTINGS.max_upload_bytes,
            http_port=self.port,
            runtime_dir=str(root),
            pid_file=str(root / "nginx.pid"),
            user=None,
            access_log=str(self.access_log),
            error_log=str(root / "error.log"),
            worker_processes="1",
        )
        self.nginx = start_nginx(root, self.inputs)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def restart_api(self, index: int) -> None:
        """Stop one replica (it drains), start the new one on the same port, wait until it is healthy."""
        old = self.apis[index]
        old.stop()
        self.apis[index] = self.runner.start("api", {**self.env, "PORT": str(old.port)})
        for _ in range(4):  # healthy behind nginx before the next replica goes
            assert httpx.get(f"{self.url}/health/ready", timeout=5).status_code == 200

    def close(self) -> None:
        stop_nginx(self.nginx)
        self.runner.close()


def start_nginx(root: Path, inputs: NginxInputs) -> subprocess.Popen:
    """The rendered nginx.conf under the real nginx, unprivileged, in the foreground."""
    (root / "nginx.conf").write_text(render_nginx_conf(inputs))
    nginx = require_tool("nginx", "apt-get install -y nginx")
    process = subprocess.Popen(
        [nginx, "-p", str(root), "-c", str(root / "nginx.conf"), "-e", str(root / "error.log"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def up() -> bool:
        assert process.poll() is None, process.stderr.read().decode()
        try:
            return httpx.get(f"http://127.0.0.1:{inputs.http_port}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(up, timeout=15, what="nginx")
    return process


def stop_nginx(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGQUIT)
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def edge(redis_server, postgres, s3_server, tmp_path_factory):
    root = tmp_path_factory.mktemp("edge")
    env = build_service_env(redis_server, postgres, s3_server, EMBEDDING_DIM=str(SETTINGS.embedding_dim))
    edge = Edge(root, ServiceRunner(root), env)
    yield edge
    edge.close()


def _status(edge: Edge, document_id: str) -> str:
    return httpx.get(f"{edge.url}/api/v1/documents/{document_id}").json()["status"]


def test_tls_edge_redirects_to_https_and_serves_it(edge, tmp_path):
    self_signed(tmp_path, "api.example.com")
    http_port, https_port = free_port(), free_port()
    # nginx workers run as nobody when the tests run as root: the webroot must be outside pytest's 0700 dirs.
    acme = Path(tempfile.mkdtemp(prefix="ai-service-acme-"))
    acme.chmod(0o755)
    nginx = start_nginx(
        tmp_path,
        NginxInputs(
            api_upstreams=tuple(f"127.0.0.1:{api.port}" for api in edge.apis),
            max_body_bytes=SETTINGS.max_upload_bytes,
            domain="api.example.com",
            tls=True,
            http_port=http_port,
            https_port=https_port,
            tls_dir=str(tmp_path),
            acme_root=str(acme),
            runtime_dir=str(tmp_path),
            pid_file=str(tmp_path / "nginx.pid"),
            user=None,
            access_log=str(tmp_path / "access.log"),
            error_log=str(tmp_path / "error.log"),
            worker_processes="1",
        ),
    )
    try:
        (acme / ".well-known/acme-challenge").mkdir(parents=True)
        (acme / ".well-known/acme-challenge/token").write_text("proof")
        for path in (acme / ".well-known", acme / ".well-known/acme-challenge"):
            path.chmod(0o755)
        plain = f"http://127.0.0.1:{http_port}"
        redirect = httpx.get(f"{plain}/api/v1/search?q=x", headers={"Host": "evil.example"})
        assert redirect.status_code == 301
        assert redirect.headers["location"] == f"https://api.example.com:{https_port}/api/v1/search?q=x"
        assert httpx.get(f"{plain}/health").status_code == 200  # probes by IP, no redirect
        assert httpx.get(f"{plain}/.well-known/acme-challenge/token").text == "proof"  # certbot --webroot
        with httpx.Client(verify=False, http2=False) as client:
            secure = client.get(f"https://127.0.0.1:{https_port}/health/ready", headers={"Host": "api.example.com"})
        assert secure.status_code == 200
        assert secure.headers["strict-transport-security"].startswith("max-age=31536000")
    finally:
        stop_nginx(nginx)
        shutil.rmtree(acme)


def test_upload_is_indexed_and_found_through_nginx(edge):
    upload = httpx.post(
        f"{edge.url}/api/v1/documents",
        files={"file": ("glaciers.md", b"# Glaciers\nTidewater glaciers calve icebergs into fjords.", "text/markdown")},
    )
    assert upload.status_code == 202, upload.text
    document_id = upload.json()["id"]
    wait_until(lambda: _status(edge, document_id) == "indexed", timeout=60, what="document indexed", interval=0.3)
    results = httpx.get(f"{edge.url}/api/v1/search", params={"q": "tidewater glacier icebergs", "k": 3}).json()[
        "results"
    ]
    assert results[0]["document_id"] == document_id


def test_security_headers_metrics_hidden_health_unlogged(edge):
    response = httpx.get(f"{edge.url}/health")
    assert response.status_code == 200
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "server" not in response.headers or "nginx/" not in response.headers["server"]  # no version
    assert httpx.get(f"{edge.url}/metrics").status_code == 404
    assert httpx.get(f"{edge.url}/api/v1/search", params={"q": "x"}).status_code == 200
    wait_until(lambda: "/api/v1/search" in edge.access_log.read_text(), timeout=30, what="access log line")
    assert '"/health"' not in edge.access_log.read_text()


def test_body_over_the_upload_limit_is_refused_by_nginx(edge):
    big = b"x" * (SETTINGS.max_upload_bytes + 1024)
    response = httpx.post(f"{edge.url}/api/v1/documents", files={"file": ("big.txt", big, "text/plain")})
    assert response.status_code == 413


def test_requests_beyond_the_burst_get_429(edge):
    time.sleep(2.5)  # let the bucket refill after the earlier tests (10 r/s)

    async def burst() -> list[int]:
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=60)) as client:
            url = f"{edge.url}/api/v1/documents/00000000-0000-0000-0000-000000000000"
            responses = await asyncio.gather(*(client.get(url) for _ in range(60)))
        return [r.status_code for r in responses]

    started = time.monotonic()
    codes = asyncio.run(burst())
    arriving = time.monotonic() - started  # at least as long as the requests took to reach nginx
    # 1 + burst pass, plus what refills (rate per second) while the burst arrives; the rest are refused at once.
    passed = len(codes) - codes.count(429)
    most = 1 + edge.inputs.burst + math.ceil(edge.inputs.rate_per_second * arriving)
    assert 1 + edge.inputs.burst <= passed <= most, (passed, most, codes)
    assert set(codes) <= {404, 429}


def test_rolling_restart_under_load_loses_no_request(edge):
    wrk = require_tool("wrk", "apt-get install -y wrk")
    # wrk runs until interrupted (it prints its summary on SIGINT): the load covers exactly the restarts.
    load = subprocess.Popen([wrk, "-t2", "-c16", "-d300s", f"{edge.url}/health"], stdout=subprocess.PIPE, text=True)
    time.sleep(2)
    for index in range(len(edge.apis)):
        edge.restart_api(index)
    time.sleep(1)
    load.send_signal(signal.SIGINT)
    report, _ = load.communicate(timeout=30)
    total = int(re.search(r"(\d+) requests in", report).group(1))
    print(f"\nwrk during a rolling restart of {len(edge.apis)} API processes:\n{report}")
    assert total > 100
    errors = "\n".join(
        line for line in (edge.root / "error.log").read_text().splitlines() if "no live upstreams" not in line
    )[-3000:]
    assert "Non-2xx or 3xx responses" not in report, report + errors
    assert "Socket errors" not in report, report + errors


def _peak_rss_mib(pid: int) -> float:
    """Peak RSS (VmHWM) of a process and its live children, MiB."""
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    total = 0
    for p in pids:
        status = Path(f"/proc/{p}/status").read_text()
        total += int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
    return total / 1024


def test_memory_limits_keep_headroom_over_measured_peak(edge):
    api_peak = max(_peak_rss_mib(api.process.pid) for api in edge.apis)
    worker_peak = _peak_rss_mib(edge.worker.process.pid)
    print(
        f"\npeak RSS: api {api_peak:.0f} MiB (limit {topology.API_MEMORY_MIB}), "
        f"worker {worker_peak:.0f} MiB (limit {min(w.memory for w in SETTINGS.workers)})"
    )
    assert topology.API_MEMORY_MIB >= HEADROOM * api_peak
    assert min(w.memory for w in SETTINGS.workers) >= HEADROOM * worker_peak
