"""Small Google Cloud facts every component needs: project, region, resource naming."""

from __future__ import annotations

import re

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
