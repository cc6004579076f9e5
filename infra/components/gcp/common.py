"""Small Google Cloud facts every component needs: project, region, resource naming."""

from __future__ import annotations

import re
from typing import Any

import pulumi


def project() -> str:
    value = pulumi.Config("gcp").get("project")
    if not value:
        raise ValueError("gcp:project: set the project id (`pulumi config set gcp:project my-project`)")
    return value


def region(override: str) -> str:
    """The region the stack deploys to: `cloudrun.region` or the provider's `gcp:region`."""
    value = override or pulumi.Config("gcp").get("region")
    if not value:
        raise ValueError("gcp:region: set the region (`pulumi config set gcp:region us-central1`)")
    return value


def physical_name(*parts: str, limit: int = 63) -> str:
    """A lowercase, dash-separated GCP resource name within `limit` characters."""
    name = re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")
    return name[:limit].rstrip("-")


def suffixed_name(stem: str, suffix: str, limit: int) -> str:
    """`stem-suffix` within `limit` characters, shortening the stem so distinct suffixes stay distinct."""
    room = limit - len(suffix) - 1
    if room < 1:
        raise ValueError(f"suffix {suffix!r} leaves no room for a name within {limit} characters")
    return f"{physical_name(stem, limit=room)}-{suffix}"


def children(
    parent: pulumi.Resource,
    opts: pulumi.ResourceOptions | None,
    *,
    depends_on: list[pulumi.Resource] | tuple = (),
    **options,
) -> pulumi.ResourceOptions:
    """Options for a component's child: parented, and waiting on whatever the component waits on.

    A component's own `depends_on` does not reach its children, so without this a bucket or a
    secret could be created before its API is enabled on a fresh project.
    """
    inherited: Any = (opts.depends_on if opts else None) or []
    inherited = list(inherited) if isinstance(inherited, (list, tuple)) else [inherited]
    return pulumi.ResourceOptions(parent=parent, depends_on=[*inherited, *depends_on], **options)
