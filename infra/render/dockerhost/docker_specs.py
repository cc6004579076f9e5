"""ContainerSpec (infra.render.dockerhost.topology) -> pulumi-docker Container inputs, as plain data.

The same spec list renders compose.yaml, so a container started by `pulumi up -s local` and one
started by `docker compose up` get the same command, environment, healthcheck, limits, ports and
mounts. What compose reads from files next to compose.yaml becomes, here:
- env files (secrets)         -> `envs` entries, supplied by the caller as Pulumi secrets
- relative mounts (rendered)  -> `uploads` copied into the container before it starts
- named volumes / host paths  -> `volumes`
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.render.dockerhost.topology import NO_NEW_PRIVILEGES_ROLES, ContainerSpec, Healthcheck, Volume

# Healthy-wait headroom on top of what the healthcheck itself may take to turn healthy.
WAIT_MARGIN_S = 30


def is_one_shot(spec: ContainerSpec) -> bool:
    """A container that runs to completion (migrate): `restart: "no"` and no healthcheck."""
    return spec.restart == "no" and spec.healthcheck is None


def healthcheck_inputs(hc: Healthcheck) -> dict[str, Any]:
    return {
        "tests": list(hc.test),
        "interval": f"{hc.interval_s}s",
        "timeout": f"{hc.timeout_s}s",
        "retries": hc.retries,
        "start_period": f"{hc.start_period_s}s",
    }


def wait_timeout_s(hc: Healthcheck) -> int:
    """How long `wait=True` may take: the start period plus every retry, plus a margin."""
    return hc.start_period_s + hc.retries * (hc.interval_s + hc.timeout_s) + WAIT_MARGIN_S


def plain_env(spec: ContainerSpec) -> list[str]:
    return [f"{k}={v}" for k, v in spec.environment.items()]


def upload_targets(volume: Volume, files: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(rendered file path, path in the container) for a relative mount: one file, or every file under a directory."""
    if volume.source in files:
        return [(volume.source, volume.target)]
    prefix = volume.source.rstrip("/") + "/"
    return [
        (path, volume.target.rstrip("/") + "/" + path[len(prefix) :])
        for path in sorted(files)
        if path.startswith(prefix)
    ]


def is_host_path(volume: Volume) -> bool:
    return not volume.named and volume.source.startswith("/")


def container_inputs(spec: ContainerSpec) -> dict[str, Any]:
    """Everything about a container that needs no other resource (images, volumes, secrets come from the component)."""
    inputs: dict[str, Any] = {
        "restart": spec.restart,
        "memory": spec.memory_mib,
        "memory_swap": spec.memory_mib,  # the limit is the limit: no swap on top
        "cpus": str(spec.cpus),
        "stop_timeout": spec.stop_grace_s,
        "destroy_grace_seconds": spec.stop_grace_s,
        "log_driver": spec.logging.driver,
        "log_opts": {"max-size": spec.logging.max_size, "max-file": str(spec.logging.max_file)},
        "ports": [{"internal": p.target, "external": p.published, "ip": p.host_ip} for p in spec.ports],
    }
    if spec.entrypoint:
        # As with compose: an entrypoint set here means the image's CMD is not used either.
        inputs["entrypoints"] = list(spec.entrypoint)
    if spec.command:
        inputs["command"] = list(spec.command)
    if spec.healthcheck:
        inputs["healthcheck"] = healthcheck_inputs(spec.healthcheck)
    if spec.role in NO_NEW_PRIVILEGES_ROLES:
        inputs["security_opts"] = ["no-new-privileges:true"]
    if is_one_shot(spec):
        # Run to completion during `pulumi up`: attach waits for the exit, and the exit code is
        # checked before anything that depends on it is created (see DockerHost).
        inputs |= {"must_run": False, "attach": True, "logs": True}
    return inputs
