"""Monitoring containers of a docker host: pinned images, lean limits, mounts that exist."""

from __future__ import annotations

import re

import pytest

from infra.render.observability import services
from infra.render.observability.render import (
    MonitoringInputs,
    render_monitoring_files,
    render_secret_files,
)

PINNED = re.compile(r"^[a-z0-9./_-]+:v?\d+\.\d+\.\d+$")


def _docstring_table() -> dict[str, int]:
    """service -> MiB from the table in the services module docstring (the stated figures)."""
    rows = re.findall(r"^\| (\S+)\s+\|[^|]*\|\s+(\d+) MiB \|", services.__doc__ or "", re.MULTILINE)
    return {name: int(mib) for name, mib in rows}


@pytest.mark.parametrize("slack", [True, False])
def test_memory_limits_sum_to_the_stated_figure(slack: bool) -> None:
    running = services.monitoring_services(slack_enabled=slack)
    assert sum(s.memory_mib for s in running) == services.MONITORING_MEMORY_MIB == 736
    stated = _docstring_table()
    assert stated.pop("total") == services.MONITORING_MEMORY_MIB
    assert stated == {s.name: s.memory_mib for s in running}


def test_prometheus_fits_the_droplet_budget_with_bounded_retention() -> None:
    prometheus = next(s for s in services.monitoring_services(slack_enabled=False) if s.name == "prometheus")
    assert prometheus.memory_mib <= 320  # its share of the droplet budget (docs/decisions/0097)
    assert "--storage.tsdb.retention.time=30d" in prometheus.command
    assert "--storage.tsdb.retention.size=2GB" in prometheus.command


def test_images_are_pinned_to_exact_versions_and_go_gc_respects_limits() -> None:
    for service in services.monitoring_services(slack_enabled=True):
        assert PINNED.match(service.image), service.image
        assert service.environment["GOMEMLIMIT"] == f"{service.memory_mib * 8 // 10}MiB"
        assert 0 < service.cpus <= 0.5 and service.ports


@pytest.mark.parametrize("slack", [True, False])
def test_every_mounted_file_is_rendered_or_a_provided_secret(slack: bool) -> None:
    provided = set(render_monitoring_files(MonitoringInputs("dev", ("api-1",), ("worker-1",), slack_enabled=slack)))
    provided |= set(render_secret_files(grafana_admin_password="x", slack_webhook_url="https://x", redis_password="y"))
    for service in services.monitoring_services(slack_enabled=slack):
        for mount in service.mounts:
            if mount.volume or mount.source.startswith("/"):
                continue
            assert any(p == mount.source or p.startswith(mount.source + "/") for p in provided), (service.name, mount)
            assert mount.read_only, (service.name, mount)
        for env_file in service.env_files:
            assert env_file in provided, (service.name, env_file)


def test_alertmanager_mounts_the_webhook_only_with_slack() -> None:
    def sources(slack: bool) -> set[str]:
        am = next(s for s in services.monitoring_services(slack_enabled=slack) if s.name == "alertmanager")
        return {m.source for m in am.mounts}

    assert services.SECRET_SLACK_WEBHOOK in sources(True)
    assert services.SECRET_SLACK_WEBHOOK not in sources(False)


def test_secret_files_are_owned_by_the_container_user_that_reads_them() -> None:
    running = services.monitoring_services(slack_enabled=True)
    assert services.secret_file_owners(running) == {
        services.SECRET_SLACK_WEBHOOK: services.NOBODY,  # alertmanager
        services.SECRET_GRAFANA_PASSWORD: 472,  # grafana
    }
    assert all(s.uid != 0 for s in running)
