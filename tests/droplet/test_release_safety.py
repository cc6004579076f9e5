"""The droplet's release scripts (agent.sh, host.sh, rollout.sh as rendered) driving real processes:
real `ai-service api` replicas on real Postgres, Redis and S3 (moto) behind the real nginx with the
rendered configuration. Only `docker` is a stand-in (docker_procs.py): it starts, stops and inspects
those processes the way Docker treats containers, each recreated replica on a new address.

- a rolling update under a mixed load of uploads and searches fails no request (POSTs included);
- a release whose only fault is a bad secret (DATABASE_URL) is caught on the replica's own address
  before it takes traffic, and the rollback puts back the previous release's secrets.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import threading
from pathlib import Path

import httpx
import pytest

from infra.render.dockerhost.nginx import NginxInputs, render_nginx_conf
from infra.settings import Settings
from tests.droplet.hostsim import IMAGES, Host
from tests.fixtures.services import AI_SERVICE, free_port
from tests.support.processes import ProcessRecord, nginx_master
from tests.support.tools import require_tool

pytestmark = pytest.mark.system
# One client sends all the load, for longer than a minute on a fast machine: both of the service's
# limits (per client and for the whole service, which the stack leaves at the app's default) are lifted.
SETTINGS = Settings(
    target="droplet",
    app_env="development",
    ssh_allowed_cidrs=("203.0.113.0/24",),
    rate_limit_per_minute=100_000,
    env={"RATE_LIMIT_GLOBAL_PER_MINUTE": "1000000"},
)
MIN_REQUESTS = 2_000  # by clients that open a connection per request
KEEPALIVE_REQUESTS = 500  # by clients that reuse idle keep-alive connections, alongside
CONCURRENCY = 4  # per client kind
# Requests per second of the loads that only need to be present for as long as a release runs (the
# keep-alive clients, the load during a rollback): unpaced they would take the CPU the release needs.
PACED_RATE = 40


@pytest.fixture
def host(tmp_path, redis_server, postgres, s3_server):
    nginx = require_tool("nginx", "apt-get install -y nginx")
    require_tool("curl", "apt-get install -y curl")
    host = Host(tmp_path, processes=True)
    host.settings = SETTINGS
    host.s3_endpoint_url = s3_server.endpoint
    database = postgres.create_database()
    host.app_secrets = {
        "DATABASE_URL": postgres.app_url(database),
        "REDIS_URL": redis_server.url(redis_server.next_db()),
        "SECRET_KEY": "s3cr3t-value-for-tests",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    host.migrate_secrets = {"MIGRATE_DATABASE_URL": postgres.admin_url(database)}
    host.bucket = s3_server.create_bucket()
    port = free_port()
    edge = tmp_path / "edge"
    edge.mkdir()
    # The rendered nginx.conf with this machine's paths and port (the release's copy names container paths);
    # one client sends all the load here, so its rate limit is lifted.
    conf = render_nginx_conf(
        NginxInputs(
            api_upstreams=(),
            api_upstream_file=str(host.live / "nginx/upstream/api.conf"),
            max_body_bytes=SETTINGS.max_upload_bytes,
            http_port=port,
            runtime_dir=str(edge),
            pid_file=str(edge / "nginx.pid"),
            user=None,
            access_log=str(edge / "access.log"),
            error_log=str(edge / "error.log"),
            worker_processes="1",
            rate_per_second=100_000,
            burst=100_000,
        )
    )
    (edge / "nginx.conf").write_text(conf)
    state = tmp_path / "docker-state"
    state.mkdir()
    host.env |= {
        "FAKE_STATE": str(state),
        "FAKE_AI_SERVICE": AI_SERVICE,
        "FAKE_NET": f"127.{random.randint(1, 250)}.{random.randint(1, 250)}",
        "FAKE_NGINX": nginx,
        "FAKE_NGINX_PREFIX": str(edge),
        "FAKE_NGINX_CONF": str(edge / "nginx.conf"),
        "FAKE_NGINX_PID": str(edge / "nginx.pid"),
        "EDGE_URL": f"http://127.0.0.1:{port}/health/ready",
        "HEALTH_TIMEOUT": "30",
    }
    host.edge_url = f"http://127.0.0.1:{port}"
    host.state = state
    yield host
    # Only processes still provably ours: a replica that exited long ago may have left its pid (and
    # nginx its pid file) to an unrelated process by now.
    for path in (state / "containers").glob("*.json"):
        record = ProcessRecord.from_json(json.loads(path.read_text()))
        if record is not None:
            record.signal_group(signal.SIGKILL)
    master = nginx_master(edge / "nginx.pid", edge / "nginx.conf")
    if master is not None:
        master.signal(signal.SIGQUIT)  # what `nginx -s quit` sends


def _addresses(host: Host) -> dict[str, str]:
    return {p.stem: json.loads(p.read_text())["address"] for p in (host.state / "containers").glob("api-*.json")}


def _release(host: Host, image: str, env: dict[str, str] | None = None, **secrets: str) -> subprocess.CompletedProcess:
    host.publish(image, bucket=host.bucket, **secrets)
    return host.agent(**(env or {}))


class MixedLoad:
    """Uploads and searches through nginx, CONCURRENCY at a time, until stopped and `minimum` were sent.

    keepalive=False: a new connection per request (Connection: close). keepalive=True: idle connections
    are reused, and every nginx reload closes the idle ones; a request sent on one at that instant gets
    no response (HTTP/1.1 keep-alive; clients retry idempotent requests then, RFC 9112 9.3.1): those
    are counted apart from failed responses.
    """

    def __init__(self, url: str, *, keepalive: bool = False, minimum: int = MIN_REQUESTS, rate: float | None = None):
        self.url, self.keepalive, self.minimum = url, keepalive, minimum
        self.pause = CONCURRENCY / rate if rate else 0.0  # seconds each of the CONCURRENCY clients waits
        self.total, self.failures, self.disconnects = 0, [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()))

    async def _one(self, client: httpx.AsyncClient, i: int) -> None:
        try:
            if i % 2:
                body = f"# Note {i}\nGlaciers calve icebergs; fjord number {i}.".encode()
                response = await client.post("/api/v1/documents", files={"file": (f"n{i}.md", body, "text/markdown")})
                ok = response.status_code == 202
            else:
                response = await client.get("/api/v1/search", params={"q": "glacier icebergs", "k": 3})
                ok = response.status_code == 200
            if not ok:
                self.failures.append(f"{response.request.method} {response.status_code} {response.text[:120]}")
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            (self.disconnects if self.keepalive else self.failures).append(f"{'POST' if i % 2 else 'GET'} {exc!r}")
        except httpx.HTTPError as exc:
            self.failures.append(f"{type(exc).__name__}: {exc}")
        self.total += 1

    async def _worker(self, client: httpx.AsyncClient, start: int) -> None:
        i = start
        while not (self._stop.is_set() and self.total >= self.minimum):
            await self._one(client, i)
            i += CONCURRENCY
            if self.pause:
                await asyncio.sleep(self.pause)

    async def _run(self) -> None:
        limits = httpx.Limits(
            max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY if self.keepalive else 0
        )
        headers = {} if self.keepalive else {"Connection": "close"}
        async with httpx.AsyncClient(base_url=self.url, timeout=60, limits=limits, headers=headers) as client:
            await asyncio.gather(*(self._worker(client, n) for n in range(CONCURRENCY)))

    def __enter__(self) -> MixedLoad:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=300)


def test_rolling_update_under_mixed_load_fails_no_request(host):
    first = _release(host, IMAGES["a"])
    assert first.returncode == 0, first.stderr
    before = _addresses(host)
    with (
        MixedLoad(host.edge_url) as load,
        MixedLoad(host.edge_url, keepalive=True, minimum=KEEPALIVE_REQUESTS, rate=PACED_RATE) as kept,
    ):
        update = _release(host, IMAGES["b"])
    assert update.returncode == 0, update.stderr
    after = _addresses(host)
    assert set(before) == set(after) == {"api-1", "api-2"}
    assert not set(before.values()) & set(after.values()), "each replica came back on a new address"
    print(
        f"\nrolling update of 2 API replicas under mixed load (uploads + searches): {len(load.failures)} failed "
        f"of {load.total} requests; keep-alive clients: {len(kept.failures)} failed of {kept.total}, "
        f"{len(kept.disconnects)} idle-connection closes at a reload {kept.disconnects}"
    )
    assert load.total >= MIN_REQUESTS
    assert load.failures == [], load.failures[:10]
    assert kept.failures == [], kept.failures[:10]  # no error response, POSTs included: the drain works
    upstream = (host.live / "nginx/upstream/api.conf").read_text()
    assert sorted(line.split()[1] for line in upstream.splitlines()) == sorted(f"{a}:8000" for a in after.values())


def test_a_bad_secret_is_caught_on_the_replica_and_the_rollback_restores_the_old_secrets(host):
    assert _release(host, IMAGES["a"]).returncode == 0
    good_env = (host.live / "secrets/app.env").read_text()
    good_version = host.current()
    good = host.app_secrets["DATABASE_URL"]
    wrong = good.replace("@/", "@/typo_", 1)  # a database that does not exist: the replica lives, is not ready
    assert wrong != good
    with MixedLoad(host.edge_url, minimum=500, rate=PACED_RATE) as load:
        # HEALTH_TIMEOUT: what the bad replica is given (all of it), and what each restored one gets to start
        # (~4 s on a busy 2-core machine): shorter than the fixture's 30 s to keep the test short, with room.
        result = _release(host, IMAGES["b"], {"HEALTH_TIMEOUT": "20"}, DATABASE_URL=wrong)
    assert result.returncode != 0
    assert "not ready on its own address" in result.stderr, result.stderr
    assert f"release {good_version} restored" in result.stderr, result.stderr
    assert host.current() == good_version
    # The whole previous release is back: its env file (secrets) byte for byte, not only its files.
    assert (host.live / "secrets/app.env").read_text() == good_env
    assert wrong not in (host.live / "secrets/app.env").read_text()
    for name in ("api-1", "api-2"):
        address = _addresses(host)[name]
        assert httpx.get(f"http://{address}:8000/health/ready", timeout=5).status_code == 200, name
    staged = Path(os.readlink(host.releases / "current"))
    assert (host.releases / staged / "secrets/app.env").read_text() == good_env  # N-1 was kept whole
    print(f"\nbad-secret release rolled back under load: {len(load.failures)} failed of {load.total} requests")
    assert load.failures == [], load.failures[:10]
