"""The security and reliability floor (docs/operations/policy.md) as rules over planned resources.

A ResourceRule looks at one resource's properties; a StackRule sees them all (e.g. "every
bucket has a public access block"). Rules never import pulumi_policy, so they can be imported
anywhere without starting an analyzer. Targets add rules in their own modules and list them
in ALL_RULES.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from infra.settings.secrets import SECRET_NAME

OPEN_WORLD = {"0.0.0.0/0", "::/0"}


class Level(StrEnum):
    """mandatory: a security or data-loss risk (the plan fails, the pack blocks); advisory: practice."""

    MANDATORY = "mandatory"
    ADVISORY = "advisory"


class Risk(StrEnum):
    """The risk class a rule guards against (docs/operations/policy.md lists the rules by class)."""

    PUBLIC_EXPOSURE = "public exposure"
    PRIVILEGE = "identity and privilege"
    SECRETS = "secrets"
    ENCRYPTION = "encryption"
    DURABILITY = "durability and backups"
    SUPPLY_CHAIN = "supply chain and pinning"
    OBSERVABILITY = "observability"
    RELIABILITY = "reliability"


@dataclass(frozen=True)
class ResourceView:
    """What a rule may know about a resource: the same fields under mocks and in the pack."""

    type: str
    name: str
    props: dict[str, Any]
    protect: bool = False
    # String values the program marked as Pulumi secrets (encrypted in state). Only the offline
    # plan knows them; policy packs see secrets unmarked (pulumi/pulumi-policy#241), so the pack
    # leaves this empty and stays strict.
    secret_values: frozenset[str] = frozenset()
    # Whether secret_values is known (offline plan) or not (policy pack): rules about values that
    # must be Pulumi secrets can only judge when it is.
    secrets_known: bool = False
    # Values that identify the resource to others (provider id, name, arn, bucket): how a
    # guard resource (a public access block, a log group) is matched to what it guards.
    ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ResourceRule:
    name: str
    description: str
    level: Level
    check: Callable[[ResourceView], Iterable[str]]
    risk: Risk = Risk.RELIABILITY


@dataclass(frozen=True)
class StackRule:
    name: str
    description: str
    level: Level
    check: Callable[[list[ResourceView]], Iterable[tuple[str, str]]]  # (resource name, message)
    risk: Risk = Risk.RELIABILITY


def _walk(value: Any):
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


# Secret stores: their `name`/`value` inputs are the store's own (SSM SecureString), not env.
SECRET_STORES = {"aws:ssm/parameter:Parameter"}


def _plaintext_secret_env(resource: ResourceView) -> Iterable[str]:
    """Container env given as literal name/value pairs (Kubernetes, ECS, Docker) must not hold secrets."""
    if resource.type in SECRET_STORES:
        return  # judged by aws-ssm-secure-string
    for node in _walk(resource.props):
        if isinstance(node, dict) and isinstance(node.get("name"), str) and isinstance(node.get("value"), str):
            if SECRET_NAME.search(node["name"]) and node["value"] and node["value"] not in resource.secret_values:
                yield f"env {node['name']} is a plaintext value; reference a secret store instead"
        if isinstance(node, str) and "=" in node and re.match(r"^[A-Z_][A-Z0-9_]*=", node):
            name, _, value = node.partition("=")
            # `X_FILE=/path` names a secret file (the images' convention). Docker `envs` ("K=V") has no
            # secret reference, so there a Pulumi secret is the floor.
            if (
                SECRET_NAME.search(name)
                and value
                and not value.startswith("$")
                and not name.endswith("_FILE")
                and node not in resource.secret_values
            ):
                yield f"env {name} is a plaintext value; use a secret file or the platform's secret store"


def _ssh_closed_to_world(resource: ResourceView) -> Iterable[str]:
    """Any firewall-ish rule admitting port 22 from everywhere (DigitalOcean, AWS, GCP shapes)."""
    for node in _walk(resource.props):
        if not isinstance(node, dict):
            continue
        sources = (
            set(node.get("sourceAddresses") or [])
            | set(node.get("cidrBlocks") or [])
            | set(node.get("ipv6CidrBlocks") or [])
            | set(node.get("sourceRanges") or [])
            | ({node["cidrIpv4"]} if node.get("cidrIpv4") else set())
        )
        if not sources & OPEN_WORLD:
            continue
        ports = str(node.get("portRange") or "")
        from_port, to_port = node.get("fromPort"), node.get("toPort")
        if (
            ports in {"22", "1-65535", "all"}
            or (
                isinstance(from_port, (int, float)) and isinstance(to_port, (int, float)) and from_port <= 22 <= to_port
            )
            or any("22" in str(p) for a in node.get("allows") or [] for p in a.get("ports") or [])
        ):
            yield "SSH (22) is open to the internet; restrict it to sshAllowedCidrs"


PLAINTEXT_SECRET_ENV = ResourceRule(
    name="no-plaintext-secret-env",
    description=(
        "Secrets reach containers through the platform's secret store, never literal env values: those show in "
        "consoles and state."
    ),
    level=Level.MANDATORY,
    check=_plaintext_secret_env,
    risk=Risk.SECRETS,
)

SSH_NOT_OPEN = ResourceRule(
    name="ssh-not-open-to-world",
    description="SSH is reachable only from configured CIDRs, never 0.0.0.0/0: it is brute-forced within minutes.",
    level=Level.MANDATORY,
    check=_ssh_closed_to_world,
    risk=Risk.PUBLIC_EXPOSURE,
)

# Keys that never expire, where the platform offers a workload identity instead (task roles, service
# accounts, Workload Identity Federation, IAM Roles Anywhere). DigitalOcean has no such identity.
LONG_LIVED_KEYS = {"aws:iam/accessKey:AccessKey", "gcp:serviceaccount/key:Key", "gcp:storage/hmacKey:HmacKey"}


def _long_lived_keys(resource: ResourceView) -> Iterable[str]:
    if resource.type in LONG_LIVED_KEYS:
        yield "creates a long-lived key: it never expires and leaks with any copy of state; use the workload's identity"


def _image_reference(value) -> str | None:
    return value if isinstance(value, str) and value and not value.startswith(("<", "sha256:")) else None


def _images(resource: ResourceView) -> list[str]:
    """Container images outside Kubernetes (k8s-pinned-images covers those)."""
    p, t = resource.props, resource.type
    found: list = []
    if t == "aws:ecs/taskDefinition:TaskDefinition":
        try:
            found = [c.get("image") for c in json.loads(p.get("containerDefinitions") or "[]")]
        except (json.JSONDecodeError, AttributeError):
            found = []
    elif t == "aws:lambda/function:Function":
        found = [p.get("imageUri")]
    elif t.startswith("gcp:cloudrun"):
        found = [n.get("image") for n in _walk(p.get("template") or {}) if isinstance(n, dict) and "image" in n]
    elif t in ("docker:index/remoteImage:RemoteImage",):
        found = [p.get("name")]
    elif t == "docker:index/container:Container":
        found = [p.get("image")]
    return [i for i in (_image_reference(x) for x in found) if i]


def unpinned(image: str) -> bool:
    name = image.rsplit("/", 1)[-1]
    return "@sha256:" not in image and (":" not in name or name.endswith(":latest"))


def _pinned_images(resource: ResourceView) -> Iterable[str]:
    for image in _images(resource):
        if unpinned(image):
            yield f"image {image} is not pinned (use a version tag or @sha256 digest, never latest)"


LONG_LIVED_KEY_RULE = ResourceRule(
    name="long-lived-keys",
    description=(
        "No static cloud keys where the platform has a workload identity: they never expire and leak with state "
        "(waive where none exists)."
    ),
    level=Level.MANDATORY,
    check=_long_lived_keys,
    risk=Risk.PRIVILEGE,
)

PINNED_IMAGES = ResourceRule(
    name="images-pinned",
    description=(
        "Container images (Docker, ECS, Lambda, Cloud Run) are pinned by version tag or digest: a deploy must run "
        "what was reviewed."
    ),
    level=Level.MANDATORY,
    check=_pinned_images,
    risk=Risk.SUPPLY_CHAIN,
)

COMMON_RULES: list[ResourceRule | StackRule] = [PLAINTEXT_SECRET_ENV, SSH_NOT_OPEN, LONG_LIVED_KEY_RULE, PINNED_IMAGES]
