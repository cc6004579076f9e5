"""Generated files (cloud-init, compose, nginx.conf, manifests…) that components publish.

Components publish each artifact they render so that the offline plan can write it with
`--render DIR` and its tests can feed it to the real tool. Under `pulumi up` the registry is
just a list nobody reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class Artifact:
    path: str  # relative, e.g. "nginx/nginx.conf"
    content: pulumi.Input[str]


_published: list[Artifact] = []


def publish(path: str, content: pulumi.Input[str]) -> None:
    if path.startswith("/") or ".." in path.split("/"):
        raise ValueError(f"artifact path must be relative and inside the render dir: {path}")
    _published.append(Artifact(path, content))


def take_published() -> list[Artifact]:
    """Return and forget everything published so far (one plan run)."""
    taken = list(_published)
    _published.clear()
    return taken
