"""Images on the local Docker engine: the service image built from app/ (loaded, never pushed),
and pinned third-party images pulled once and kept.

Containers run an image *id*, not a tag: a rebuild under the same tag gives a new id, so Pulumi
replaces exactly the containers running the service image.
"""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from infra.components.build_context import APP_CONTEXT, APP_DOCKERFILE


class LocalServiceImage(pulumi.ComponentResource):
    """`prebuilt` set: pull that reference. Empty: build `context` (default app/) into the engine as `tag`."""

    image_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        tag: str,
        prebuilt: str = "",
        opts: pulumi.ResourceOptions | None = None,
        context: str = APP_CONTEXT,
        dockerfile: str = APP_DOCKERFILE,
    ):
        super().__init__("ai-service:docker:ServiceImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if prebuilt:
            image = docker.RemoteImage(name, name=prebuilt, keep_locally=True, opts=child)
        else:
            import pulumi_docker_build as docker_build  # only when building

            build = docker_build.Image(
                f"{name}-build",
                context={"location": context},
                dockerfile={"location": dockerfile},
                build_args={"APP_VERSION": tag.rsplit(":", 1)[-1]},
                tags=[tag],
                load=True,  # into the local engine's image store
                push=False,
                opts=child,
            )
            # Reads the id of the image the build loaded; a new digest replaces it, and with it the containers.
            image = docker.RemoteImage(
                name,
                name=tag,
                keep_locally=True,
                triggers={"digest": build.digest},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[build]),
            )
        self.image_id = image.image_id
        self.register_outputs({"image_id": self.image_id})


def pinned_images(
    name: str, references: list[str], parent: pulumi.Resource | None = None
) -> dict[str, pulumi.Output[str]]:
    """reference -> image id, one RemoteImage per pinned third-party image (pulled before any container starts)."""
    ids = {}
    for ref in sorted(set(references)):
        short = ref.split("/")[-1].split(":")[0]
        image = docker.RemoteImage(
            f"{name}-{short}", name=ref, keep_locally=True, opts=pulumi.ResourceOptions(parent=parent)
        )
        ids[ref] = image.image_id
    return ids
