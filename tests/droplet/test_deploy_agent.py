"""The pull agent and the health-gated rolling update, run for real against a fake `docker`.

agent.sh and rollout.sh are the rendered scripts; only `docker` and `curl` are stand-ins
(fake_docker.sh), so the order of operations and the rollback are what the droplet would do.
"""

from __future__ import annotations

import stat

import pytest

from tests.droplet.hostsim import IMAGES, Host


@pytest.fixture
def host(tmp_path) -> Host:
    return Host(tmp_path)


def _index(calls: list[str], wanted: str, start: int = 0) -> int:
    for i, call in enumerate(calls[start:], start):
        if call.startswith(wanted) or wanted in call:
            return i
    raise AssertionError(f"{wanted!r} not called after #{start}: {calls}")


def _deployed(host: Host, image: str) -> str:
    version = host.publish(image)
    result = host.agent()
    assert result.returncode == 0, result.stderr
    return version


def test_first_release_starts_everything_and_writes_secrets_root_only(host):
    version = _deployed(host, IMAGES["a"])
    assert host.current() == version
    calls = host.calls()
    up = _index(calls, "up -d --remove-orphans")
    for name in ("api-1", "api-2", "worker-documents-1", "worker-cleanup-1", "nginx"):
        _index(calls, f"inspect -f {{{{.State.Health.Status}}}} {name}", up)
    assert IMAGES["a"] in (host.live / "compose.yaml").read_text()
    def mode(path: str) -> int:
        return stat.S_IMODE((host.live / path).stat().st_mode)

    assert mode("secrets/app.env") == mode("docker/config.json") == 0o600  # read by root only
    assert mode("secrets/grafana-admin-password") == 0o644  # mounted into Grafana (uid 472)…
    assert mode("secrets") == mode("docker") == 0o700  # …but unreachable for other host users


def test_update_migrates_then_rolls_api_one_at_a_time_then_workers(host):
    _deployed(host, IMAGES["a"])
    version_b = _deployed(host, IMAGES["b"])
    calls = host.calls()
    migrate = _index(calls, "run --rm --no-deps migrate")
    api1 = _index(calls, "up -d --no-deps api-1", migrate)
    gate1 = _index(calls, "inspect -f {{.State.Health.Status}} api-1", api1)
    reload1 = _index(calls, "exec -T nginx nginx -s reload", gate1)
    api2 = _index(calls, "up -d --no-deps api-2", reload1)
    _index(calls, "inspect -f {{.State.Health.Status}} api-2", api2)
    worker = _index(calls, "up -d --no-deps worker-documents-1", api2)
    _index(calls, "up -d --no-deps worker-cleanup-1", worker)
    assert host.current() == version_b
    assert IMAGES["b"] in (host.live / "compose.yaml").read_text()


def test_same_release_twice_does_nothing(host):
    _deployed(host, IMAGES["a"])
    assert host.agent().returncode == 0
    (only,) = host.calls()  # fetched the manifest, nothing else
    assert only.startswith("run ") and only.endswith("releases/manifest.json /work/manifest.json")


def test_unhealthy_replica_restores_the_previous_release(host):
    _deployed(host, IMAGES["a"])
    version_b = _deployed(host, IMAGES["b"])
    version_c = host.publish(IMAGES["c"])
    result = host.agent(FAKE_BAD="c" * 64, FAKE_BAD_SERVICES="api-2")
    assert result.returncode != 0
    assert "restoring release" in result.stderr and f"release {version_b} restored" in result.stderr
    assert host.current() == version_b
    assert (host.releases / "failed").read_text().strip() == version_c
    assert IMAGES["b"] in (host.live / "compose.yaml").read_text()
    calls = host.calls()
    failed_gate = _index(calls, "inspect -f {{.State.Health.Status}} api-2")
    _index(calls, "up -d --no-deps api-1", failed_gate)  # back to B, one at a time again
    assert sum("migrate" in c for c in calls) == 1  # the rollback does not migrate
    assert not any("--no-deps worker" in c for c in calls[:failed_gate])  # workers never got C
    # The failed release is not retried every minute.
    assert host.agent(FAKE_BAD="c" * 64, FAKE_BAD_SERVICES="api-2").returncode == 0
    assert len(host.calls()) == 1


def test_failed_migration_touches_no_replica(host):
    _deployed(host, IMAGES["a"])
    version_a = host.current()
    host.publish(IMAGES["b"])
    result = host.agent(FAKE_MIGRATE_RC="1")
    assert result.returncode != 0 and "migrate failed" in result.stderr
    calls = host.calls()
    migrate = _index(calls, "run --rm --no-deps migrate")
    assert not any(c.startswith("up -d --no-deps api") for c in calls[:migrate])
    assert host.current() == version_a
