"""Artifact Registry repository and the service image built from app/ (or a prebuilt `image`).

The workloads reference the image by digest (`repo/name:tag@sha256:…`), so a new build
always rolls out a new revision and a revision always runs exactly the bytes it was made with.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import artifactregistry

from infra.components.build_context import APP_CONTEXT, APP_DOCKERFILE
from infra.components.gcp.common import children
from infra.components.sdk import sdk_input

KEEP_IMAGES = 10  # older untagged images are deleted by the repository cleanup policy


@dataclass(frozen=True)
class RegistryArgs:
    project: str
    region: str
    repository_id: str
    tag: str
    prebuilt: str = ""  # settings.image: skip the build and deploy this reference
    context: str = APP_CONTEXT
    dockerfile: str = APP_DOCKERFILE


class ServiceImage(pulumi.ComponentResource):
    repository: artifactregistry.Repository
    ref: pulumi.Output[str]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:gcp:ServiceImage", name, None, opts)
        child = children(self, opts)
        self.repository = artifactregistry.Repository(
            name,
            repository_id=args.repository_id,
            location=args.region,
            format="DOCKER",
            description="ai-service images",
            cleanup_policies=[
                {"id": "keep-recent", "action": "KEEP", "most_recent_versions": {"keep_count": KEEP_IMAGES}},
                {
                    "id": "delete-untagged",
                    "action": "DELETE",
                    "condition": {"tag_state": "UNTAGGED", "older_than": "2592000s"},
                },
            ],
            opts=child,
        )
        if args.prebuilt:
            self.ref = pulumi.Output.from_input(args.prebuilt)
        else:
            import pulumi_docker_build as docker_build  # only when building

            repo_url = f"{args.region}-docker.pkg.dev/{args.project}/{args.repository_id}"
            # Pushing uses the local Docker credentials: `gcloud auth configure-docker {region}-docker.pkg.dev`.
            image = docker_build.Image(
                name,
                context={"location": args.context},
                dockerfile={"location": args.dockerfile},
                platforms=sdk_input(["linux/amd64"]),
                build_args={"APP_VERSION": args.tag},
                tags=[f"{repo_url}/ai-service:{args.tag}"],
                push=True,
                opts=children(self, opts, depends_on=[self.repository]),
            )
            self.ref = image.ref
        self.register_outputs({"ref": self.ref})
