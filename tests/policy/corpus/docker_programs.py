"""Docker programs (pulumi_docker): compose-like stacks on one host."""

from __future__ import annotations

import pulumi_docker as docker

from tests.policy.corpus import program


@program(expect={"docker-not-published-everywhere", "images-pinned", "no-plaintext-secret-env"})
def compose_style_redis_and_grafana_on_all_interfaces():
    """Redis and Grafana published on 0.0.0.0 (no ip), Redis on :latest, the admin password in envs."""
    net = docker.Network("backend")
    redis = docker.RemoteImage("redis", name="redis:latest")
    docker.Container(
        "redis",
        image=redis.image_id,
        networks_advanced=[{"name": net.id}],
        ports=[{"internal": 6379, "external": 6379}],
    )
    grafana = docker.RemoteImage("grafana", name="grafana/grafana:11.3.0")
    docker.Container(
        "grafana",
        image=grafana.image_id,
        networks_advanced=[{"name": net.id}],
        ports=[{"internal": 3000, "external": 3000, "ip": "0.0.0.0"}],
        envs=["GF_SECURITY_ADMIN_PASSWORD=admin"],
    )


@program(twin_of="compose_style_redis_and_grafana_on_all_interfaces")
def compose_style_loopback_and_front():
    """Only the reverse proxy listens on 0.0.0.0:443; Grafana on loopback; its password a file from a secret."""
    net = docker.Network("backend")
    redis = docker.RemoteImage("redis", name="redis:7.4.1-alpine")
    docker.Container("redis", image=redis.image_id, networks_advanced=[{"name": net.id}])
    grafana = docker.RemoteImage("grafana", name="grafana/grafana:11.3.0")
    docker.Container(
        "grafana",
        image=grafana.image_id,
        networks_advanced=[{"name": net.id}],
        ports=[{"internal": 3000, "external": 3000, "ip": "127.0.0.1"}],
        envs=["GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana"],
    )
    caddy = docker.RemoteImage("caddy", name="caddy:2.8.4")
    docker.Container(
        "proxy",
        image=caddy.image_id,
        networks_advanced=[{"name": net.id}],
        ports=[{"internal": 443, "external": 443}, {"internal": 80, "external": 80}],
    )


@program(expect={"docker-no-privileged"})
def privileged_ci_runner():
    """A CI runner container: privileged, host network, the Docker socket mounted."""
    image = docker.RemoteImage("runner", name="gitlab/gitlab-runner:v17.5.0")
    docker.Container(
        "runner",
        image=image.image_id,
        privileged=True,
        network_mode="host",
        volumes=[{"host_path": "/var/run/docker.sock", "container_path": "/var/run/docker.sock"}],
    )


@program(twin_of="privileged_ci_runner")
def ci_runner_socket_waived():
    """The waived twin: the same runner with the socket, waived by a label that gives the reason; not privileged."""
    image = docker.RemoteImage("runner", name="gitlab/gitlab-runner:v17.5.0")
    docker.Container(
        "runner",
        image=image.image_id,
        labels=[
            {
                "label": "policy-waiver-docker-no-privileged",
                "value": "the runner starts job containers through the host's Docker API",
            }
        ],
        volumes=[{"host_path": "/var/run/docker.sock", "container_path": "/var/run/docker.sock"}],
    )
