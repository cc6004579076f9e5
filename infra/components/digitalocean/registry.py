"""The service image in DigitalOcean's container registry, referenced by digest.

An account has one registry (Starter tier: free, 500 MiB, one repository), so dev and prod share
it: the stack with `droplet.createRegistry: true` creates it, the other only references its name.
The droplet pulls with a read-only credential that reaches it as a secret file.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pulumi
import pulumi_digitalocean as do

from infra.components.build_context import APP_CONTEXT, APP_DOCKERFILE

REGISTRY_HOST = "registry.digitalocean.com"
REPOSITORY = "ai-service"


@dataclass(frozen=True)
class ServiceImageArgs:
    registry: str
    create_registry: bool
    region: str
    prebuilt: str = ""  # `image` config: used as-is, nothing is built
    context: str = APP_CONTEXT
    dockerfile: str = APP_DOCKERFILE


def _login(docker_config: str) -> tuple[str, str]:
    auth = json.loads(docker_config)["auths"][REGISTRY_HOST]["auth"]
    user, _, password = base64.b64decode(auth).decode().partition(":")
    return user, password


class ServiceImage(pulumi.ComponentResource):
    ref: pulumi.Output[str]  # registry/name@sha256:…
    pull_config: pulumi.Output[str]  # docker config.json with a read-only token (secret)

    def __init__(self, name: str, args: ServiceImageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:digitalocean:ServiceImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        depends = []
        if args.create_registry:
            depends.append(
                do.ContainerRegistry(
                    name, name=args.registry, subscription_tier_slug="starter", region=args.region, opts=child
                )
            )
        deps = pulumi.ResourceOptions(parent=self, depends_on=depends)
        pull = do.ContainerRegistryDockerCredentials(
            f"{name}-pull", registry_name=args.registry, write=False, opts=deps
        )
        self.pull_config = pulumi.Output.secret(pull.docker_credentials)
        if args.prebuilt:
            self.ref = pulumi.Output.from_input(args.prebuilt)
        else:
            import pulumi_docker_build as docker_build

            push = do.ContainerRegistryDockerCredentials(
                f"{name}-push", registry_name=args.registry, write=True, expiry_seconds=3600, opts=deps
            )
            login = pulumi.Output.secret(push.docker_credentials).apply(_login)
            image = docker_build.Image(
                name,
                context=docker_build.BuildContextArgs(location=args.context),
                dockerfile=docker_build.DockerfileArgs(location=args.dockerfile),
                platforms=[docker_build.Platform.LINUX_AMD64],
                push=True,
                tags=[f"{REGISTRY_HOST}/{args.registry}/{REPOSITORY}:latest"],
                registries=[
                    docker_build.RegistryArgs(
                        address=REGISTRY_HOST, username=login[0], password=pulumi.Output.secret(login[1])
                    )
                ],
                opts=child,
            )
            self.ref = image.ref
        self.register_outputs({"ref": self.ref})
