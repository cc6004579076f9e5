"""The service image in a private ECR repository: scanned on push, old images expired,
built from app/ as a single linux/amd64 manifest (Lambda rejects image indexes) and
referenced by digest, or a prebuilt `image` reference used as is."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
from pulumi_aws import ecr

from infra.components.build_context import APP_CONTEXT, APP_DOCKERFILE


def lifecycle_policy(keep: int) -> str:
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"keep the last {keep} images",
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
                    "action": {"type": "expire"},
                }
            ]
        }
    )


@dataclass(frozen=True)
class ServiceImageArgs:
    prebuilt: str  # settings.image; empty = build `context` with `dockerfile`
    keep: int = 10
    context: str = APP_CONTEXT
    dockerfile: str = APP_DOCKERFILE


class ServiceImage(pulumi.ComponentResource):
    ref: pulumi.Output[str]  # registry/name@sha256:…
    repository_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: ServiceImageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:aws:ServiceImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if args.prebuilt:
            self.ref = pulumi.Output.from_input(args.prebuilt)
            self.repository_arn = None
            self.register_outputs({"ref": self.ref})
            return
        import pulumi_docker_build as docker_build  # only when building

        repo = ecr.Repository(
            name,
            image_scanning_configuration={"scan_on_push": True},
            image_tag_mutability="MUTABLE",
            encryption_configurations=[{"encryption_type": "AES256"}],
            force_delete=True,
            opts=child,
        )
        ecr.LifecyclePolicy(name, repository=repo.name, policy=lifecycle_policy(args.keep), opts=child)
        auth = ecr.get_authorization_token_output(
            registry_id=repo.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        image = docker_build.Image(
            name,
            context={"location": args.context},
            dockerfile={"location": args.dockerfile},
            platforms=[docker_build.Platform.LINUX_AMD64],
            # One registry export (it pushes), Docker media types, one manifest: what Lambda and ECS both accept.
            exports=[{"registry": {"oci_media_types": False}}],
            push=False,  # true would add a second registry export
            tags=[repo.repository_url.apply(lambda url: f"{url}:{pulumi.get_stack()}-build")],
            registries=[{"address": repo.repository_url, "username": auth.user_name, "password": auth.password}],
            opts=child,
        )
        # repo@sha256:… — deployed by digest, so the moving tag is only a label (Lambda rejects tag@digest forms).
        self.ref = pulumi.Output.concat(repo.repository_url, "@", image.digest)
        self.repository_arn = repo.arn
        self.register_outputs({"ref": self.ref})
