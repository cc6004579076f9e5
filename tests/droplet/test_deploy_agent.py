"""The pull agent and the health-gated rolling update, run for real against a fake `docker`.

agent.sh and rollout.sh are the rendered scripts; only `docker` and `curl` are stand-ins
(fake_docker.sh), so the order of operations and the rollback are what the droplet would do.
"""

from __future__ import annotations

import stat

import pytest

from tests.droplet.hostsim import ADMIN_KEY, IMAGES, Host


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


def test_host_settings_follow_the_release(host):
    _deployed(host, IMAGES["a"])
    log = host.host_log.read_text()
    assert "useradd --create-home --shell /bin/bash --groups sudo,docker ops" in log
    assert "ufw allow from 203.0.113.0/24 to any port 22 proto tcp" in log
    keys = host.host_state / "home-ops/.ssh/authorized_keys"
    assert keys.read_text() == ADMIN_KEY + "\n" and stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert (host.host_state / "sudoers.d/90-ai-service-admin").read_text() == "ops ALL=(ALL) NOPASSWD:ALL\n"
    # Another SSH range: a new release, the same droplet; the old range is closed.
    host.host_log.write_text("")
    host.publish(IMAGES["a"], cidrs=("198.51.100.0/24",))
    assert host.agent().returncode == 0
    log = host.host_log.read_text()
    assert "ufw allow from 198.51.100.0/24 to any port 22 proto tcp" in log
    assert "ufw delete allow from 203.0.113.0/24 to any port 22 proto tcp" in log
    assert "useradd" not in log  # the admin user exists


def test_rollback_puts_back_the_previous_release_secrets(host):
    version_a = host.publish(IMAGES["a"], SECRET_KEY="release-a-key")
    assert host.agent().returncode == 0
    host.publish(IMAGES["c"], SECRET_KEY="release-c-key")
    result = host.agent(FAKE_BAD="c" * 64, FAKE_BAD_SERVICES="api-1")
    assert result.returncode != 0 and f"release {version_a} restored" in result.stderr
    assert "release-a-key" in (host.live / "secrets/app.env").read_text()
    assert host.current() == version_a
    # Both releases are staged side by side, each with its own secrets (0600 in 0700).
    staged = {p.parent.parent.name: p.read_text() for p in host.releases.glob("*/secrets/app.env")}
    assert "release-a-key" in staged[version_a] and any("release-c-key" in t for t in staged.values())
    assert stat.S_IMODE((host.releases / version_a / "secrets").stat().st_mode) == 0o700
