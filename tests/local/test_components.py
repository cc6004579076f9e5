"""The pulumi-docker host component refuses incomplete input with one clear line, before registering anything."""

from __future__ import annotations

import pytest

from infra.components.docker.host import DockerHost, DockerHostArgs
from infra.render.dockerhost.docker_specs import container_inputs, upload_targets, wait_timeout_s
from infra.render.dockerhost.topology import ContainerSpec, Healthcheck, Volume


def _args(*specs: ContainerSpec, **overrides) -> DockerHostArgs:
    base = {"specs": list(specs), "project": "p", "images": {"img:1": "sha256:1"}}
    return DockerHostArgs(**(base | overrides))


@pytest.mark.parametrize(
    ("specs", "overrides", "message"),
    [
        (
            (ContainerSpec("api", "img:1", depends_on={"db": "service_healthy"}),),
            {},
            "container api depends on db, which must come before it",
        ),
        (
            (ContainerSpec("api", "img:1", env_file=("secrets/app.env",)),),
            {},
            "container api: no values for env file secrets/app.env",
        ),
        (
            (ContainerSpec("g", "img:1", volumes=(Volume("secrets/pw", "/run/secrets/pw"),)),),
            {},
            "container g: no content for secret file secrets/pw",
        ),
        ((ContainerSpec("api", "img:2"),), {}, "container api: image img:2 was not provided"),
    ],
)
def test_incomplete_host_input_is_one_clear_error(specs, overrides, message):
    with pytest.raises(ValueError) as error:
        DockerHost._check(_args(*specs, **overrides))
    assert str(error.value) == message


def test_relative_mounts_upload_one_file_or_a_whole_rendered_directory():
    files = {
        "nginx/nginx.conf": "x",
        "grafana/dashboards/a.json": "a",
        "grafana/dashboards/b.json": "b",
        "grafana/x.yml": "",
    }
    assert upload_targets(Volume("nginx/nginx.conf", "/etc/nginx/nginx.conf"), files) == [
        ("nginx/nginx.conf", "/etc/nginx/nginx.conf")
    ]
    assert upload_targets(Volume("grafana/dashboards", "/etc/grafana/dashboards"), files) == [
        ("grafana/dashboards/a.json", "/etc/grafana/dashboards/a.json"),
        ("grafana/dashboards/b.json", "/etc/grafana/dashboards/b.json"),
    ]
    assert upload_targets(Volume("acme", "/var/www/acme"), files) == []


def test_one_shot_runs_attached_and_long_running_waits_long_enough():
    one_shot = container_inputs(ContainerSpec("migrate", "img:1", command=("migrate",), restart="no", role="migrate"))
    assert (one_shot["must_run"], one_shot["attach"], one_shot["restart"]) == (False, True, "no")
    probe = Healthcheck(("CMD", "true"), interval_s=10, timeout_s=3, retries=3, start_period_s=20)
    served = container_inputs(ContainerSpec("api", "img:1", healthcheck=probe, memory_mib=384, role="api"))
    assert "must_run" not in served and served["memory"] == served["memory_swap"] == 384
    assert wait_timeout_s(probe) >= 20 + 3 * 13
