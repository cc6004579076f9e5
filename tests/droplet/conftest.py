"""Fixtures for the droplet's host scripts: a fake `docker` whose redis container is a real redis-server."""

from __future__ import annotations

import subprocess

import pytest

from infra.render.dockerhost.deploy import deploy_scripts
from tests.droplet.hostsim import Host
from tests.fixtures.services import free_port
from tests.support.tools import require_tool


@pytest.fixture
def redis_host(tmp_path):
    require_tool("redis-server", "apt-get install -y redis-server")
    host = Host(tmp_path, scripts_installed=True)
    volume = tmp_path / "redis-data"
    volume.mkdir()
    host.env |= {"FAKE_REDIS_PORT": str(free_port()), "FAKE_VOLUME": str(volume)}
    host.live.mkdir(parents=True)
    (host.live / "compose.yaml").write_text(next(iter(deploy_scripts())))  # any file: compose is faked
    yield host
    subprocess.run(["redis-cli", "-p", host.env["FAKE_REDIS_PORT"], "shutdown", "nosave"], capture_output=True)
