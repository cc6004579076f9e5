"""Small AWS facts every component needs: the region, its AZs, ARN and policy-document shapes."""

from __future__ import annotations

import json
from typing import Any

import pulumi

AZ_SUFFIXES = ("a", "b")  # two AZs: every region has at least these letters


def region(override: str) -> str:
    """The region the stack deploys to: the target's `region` or the provider's `aws:region`."""
    value = override or pulumi.Config("aws").get("region")
    if not value:
        raise ValueError("aws:region: set the AWS region (`pulumi config set aws:region us-east-1`)")
    return value


def azs(region_name: str) -> tuple[str, ...]:
    return tuple(f"{region_name}{s}" for s in AZ_SUFFIXES)


def policy_document(*statements: dict[str, Any]) -> str:
    """An IAM policy document (JSON text) from statement dicts."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def assume_role_policy(service: str) -> str:
    return policy_document({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


def ecr_repository_arn(image: str) -> str | None:
    """The ECR repository ARN of an image reference in a private ECR registry, else None."""
    host, _, rest = image.partition("/")
    parts = host.split(".")
    if len(parts) < 6 or parts[1:3] != ["dkr", "ecr"] or not rest:
        return None
    account, region_name = parts[0], parts[3]
    name = rest.split("@", 1)[0].rsplit(":", 1)[0] if "@" in rest else rest.rsplit(":", 1)[0]
    return f"arn:aws:ecr:{region_name}:{account}:repository/{name}"


def provider_options(region_override: str) -> pulumi.ResourceOptions | None:
    """An explicit provider when the target overrides `aws:region`; else the default provider."""
    if not region_override:
        return None
    from pulumi_aws import Provider

    return pulumi.ResourceOptions(providers=[Provider("aws-target-region", region=region_override)])
