"""Placeholders for the local Docker engine (pulumi-docker).

The docker-build `Image` placeholder (digest, ref) lives in gcp.py, where it was first needed;
the local stack loads that image into the engine and reads its id through a RemoteImage.
"""

from __future__ import annotations

from collections.abc import Callable

from infra.tooling.plan.placeholders.base import Outputs, token


def _remote_image(name: str, inputs: Outputs) -> Outputs:
    image_id = f"sha256:{token(name, 64)}"
    return {"imageId": image_id, "repoDigest": f"{inputs.get('name', name)}@sha256:{token('digest-' + name, 64)}"}


def _container(name: str, inputs: Outputs) -> Outputs:
    outputs: Outputs = {"networkDatas": [{"networkName": "placeholder-network", "ipAddress": "192.0.2.40"}]}
    if inputs.get("mustRun") is False:
        outputs["exitCode"] = 0  # a one-shot container (migrate) that finished successfully
    return outputs


def _network(name: str, inputs: Outputs) -> Outputs:
    return {"scope": "local", "driver": inputs.get("driver", "bridge")}


def _volume(name: str, inputs: Outputs) -> Outputs:
    return {"mountpoint": f"/var/lib/docker/volumes/{inputs.get('name', name)}/_data", "driver": "local"}


COMPUTED: dict[str, Callable[[str, Outputs], Outputs]] = {
    "docker:index/remoteImage:RemoteImage": _remote_image,
    "docker:index/container:Container": _container,
    "docker:index/network:Network": _network,
    "docker:index/volume:Volume": _volume,
}

# pulumi-docker marks no container output secret; env values the program marks secret stay secret.
SECRET_OUTPUTS: dict[str, frozenset[str]] = {}
