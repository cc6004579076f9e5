"""A set of ContainerSpecs running on one Docker engine: network, volumes, images, containers.

Start order follows each spec's `depends_on`, with compose's meaning:
- `service_healthy`: the dependency is created with `wait=True`, so Pulumi creates the dependent
  only after the engine reports the dependency healthy;
- `service_completed_successfully`: the dependency is a one-shot container (migrate) created with
  `attach=True, must_run=False`, so `pulumi up` waits for it to exit; its exit code must be 0,
  and the dependent carries a label derived from that check, so a failed migration stops the
  update before any API or worker container is replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from infra.components.sdk import sdk_input
from infra.render.dockerhost import docker_specs as convert
from infra.render.dockerhost.topology import ContainerSpec

LABEL_PREFIX = "ai-service"


@dataclass(frozen=True)
class DockerHostArgs:
    specs: list[ContainerSpec]
    project: str  # prefix of every engine-level name (containers, network, volumes)
    images: Mapping[str, pulumi.Input[str]]  # image reference in a spec -> image id to run (from RemoteImage/build)
    files: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # rendered, non-secret files (relative paths)
    secret_files: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # secret files (relative paths)
    secret_env: Mapping[str, pulumi.Input[Mapping[str, str]]] = field(default_factory=dict)  # env file -> values
    protect: bool = False  # Pulumi `protect` on the named volumes (the data)


def _completed(name: str, exit_code: int | None) -> str:
    if exit_code not in (0, None):  # None: still unknown (preview)
        raise RuntimeError(f"container {name} exited with code {exit_code}; see its logs (docker logs {name})")
    return "ok"


class DockerHost(pulumi.ComponentResource):
    network: docker.Network
    containers: dict[str, docker.Container]

    def __init__(self, name: str, args: DockerHostArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:docker:Host", name, None, opts)
        self._args = args
        self._check(args)
        self.network = docker.Network(
            f"{name}-network", name=args.project, driver="bridge", opts=pulumi.ResourceOptions(parent=self)
        )
        volume_names = sorted({v.source for s in args.specs for v in s.volumes if v.named})
        self.volumes = {
            v: docker.Volume(
                f"{name}-{v}",
                name=f"{args.project}-{v}",
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            for v in volume_names
        }
        awaited = {dep for s in args.specs for dep, cond in s.depends_on.items() if cond == "service_healthy"}
        self.containers = {}
        self._gates: dict[str, pulumi.Output[str]] = {}
        for spec in args.specs:  # topology lists dependencies first
            self.containers[spec.name] = self._container(name, spec, wait=spec.name in awaited)
        self.register_outputs(
            {"network": self.network.name, "containers": {n: c.name for n, c in self.containers.items()}}
        )

    @staticmethod
    def _check(args: DockerHostArgs) -> None:
        seen: set[str] = set()
        for spec in args.specs:
            missing = sorted(set(spec.depends_on) - seen)
            if missing:
                raise ValueError(f"container {spec.name} depends on {', '.join(missing)}, which must come before it")
            for env_file in spec.env_file:
                if env_file not in args.secret_env:
                    raise ValueError(f"container {spec.name}: no values for env file {env_file}")
            for volume in spec.volumes:
                if not volume.named and not volume.source.startswith("/") and volume.source.startswith("secrets/"):
                    if volume.source not in args.secret_files:
                        raise ValueError(f"container {spec.name}: no content for secret file {volume.source}")
            if spec.image not in args.images:
                raise ValueError(f"container {spec.name}: image {spec.image} was not provided")
            seen.add(spec.name)

    def _envs(self, spec: ContainerSpec) -> pulumi.Input[list[str]]:
        plain = convert.plain_env(spec)
        if not spec.env_file:
            return plain
        # Later env files win, as with compose's env_file list; the whole list is a secret in state.
        values = pulumi.Output.all(*[self._args.secret_env[f] for f in spec.env_file])
        merged = values.apply(lambda dicts: plain + [f"{k}={v}" for d in dicts for k, v in d.items()])
        return pulumi.Output.secret(merged)

    def _uploads(self, spec: ContainerSpec) -> list[dict]:
        uploads = []
        for volume in spec.volumes:
            if volume.named or convert.is_host_path(volume):
                continue
            if volume.source in self._args.secret_files:
                # World-readable inside the container: the image's own (non-root) user must read it.
                uploads.append(
                    {
                        "file": volume.target,
                        "content": pulumi.Output.secret(self._args.secret_files[volume.source]),
                        "permissions": "0444",
                    }
                )
                continue
            # A relative directory with nothing rendered into it (e.g. the ACME webroot) stays empty.
            for source, target in convert.upload_targets(volume, self._args.files):
                uploads.append({"file": target, "content": self._args.files[source], "permissions": "0444"})
        return uploads

    def _volumes(self, spec: ContainerSpec) -> list[dict]:
        mounts = []
        for volume in spec.volumes:
            if volume.named:
                mounts.append(
                    {
                        "volume_name": self.volumes[volume.source].name,
                        "container_path": volume.target,
                        "read_only": volume.read_only,
                    }
                )
            elif convert.is_host_path(volume):
                mounts.append(
                    {"host_path": volume.source, "container_path": volume.target, "read_only": volume.read_only}
                )
        return mounts

    def _container(self, name: str, spec: ContainerSpec, wait: bool) -> docker.Container:
        inputs = convert.container_inputs(spec)
        depends = [self.containers[d] for d in spec.depends_on]
        labels: list[dict[str, pulumi.Input[str]]] = [
            {"label": f"{LABEL_PREFIX}.service", "value": spec.name},
            {"label": f"{LABEL_PREFIX}.role", "value": spec.role},
            # The labels compose would set for the rendered compose.yaml: log collection (Alloy selects
            # by compose project, labels streams by compose service) finds these containers the same way.
            {"label": "com.docker.compose.project", "value": self._args.project},
            {"label": "com.docker.compose.service", "value": spec.name},
        ]
        for dep, cond in spec.depends_on.items():
            if cond == "service_completed_successfully":
                labels.append({"label": f"{LABEL_PREFIX}.after-{dep}", "value": self._gates[dep]})
        if wait and spec.healthcheck:
            inputs |= {"wait": True, "wait_timeout": convert.wait_timeout_s(spec.healthcheck)}
        container = docker.Container(
            f"{name}-{spec.name}",
            name=f"{self._args.project}-{spec.name}",
            image=self._args.images[spec.image],
            envs=self._envs(spec),
            uploads=sdk_input(self._uploads(spec)),
            volumes=sdk_input(self._volumes(spec)),
            labels=sdk_input(labels),
            networks_advanced=[{"name": self.network.id, "aliases": [spec.name]}],
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
            **inputs,
        )
        if convert.is_one_shot(spec):
            container_name = f"{self._args.project}-{spec.name}"
            self._gates[spec.name] = pulumi.Output.all(container.id, container.exit_code).apply(
                lambda v: f"{v[0]}:{_completed(container_name, v[1])}"
            )
        return container
