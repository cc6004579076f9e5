"""The security and reliability floor (DESIGN.md §5) as rules over planned resources.

A ResourceRule looks at one resource's properties; a StackRule sees them all (e.g. "every
bucket has a public access block"). Rules never import pulumi_policy, so they can be imported
anywhere without starting an analyzer. Targets add rules in their own modules and list them
in ALL_RULES.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from infra.settings.secrets import SECRET_NAME

OPEN_WORLD = {"0.0.0.0/0", "::/0"}


class Level(StrEnum):
    MANDATORY = "mandatory"
    ADVISORY = "advisory"


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


@dataclass(frozen=True)
class ResourceRule:
    name: str
    description: str
    level: Level
    check: Callable[[ResourceView], Iterable[str]]


@dataclass(frozen=True)
class StackRule:
    name: str
    description: str
    level: Level
    check: Callable[[list[ResourceView]], Iterable[tuple[str, str]]]  # (resource name, message)


def _walk(value: Any):
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def _plaintext_secret_env(resource: ResourceView) -> Iterable[str]:
    """Container env given as literal name/value pairs (Kubernetes, ECS, Docker) must not hold secrets."""
    for node in _walk(resource.props):
        if isinstance(node, dict) and isinstance(node.get("name"), str) and isinstance(node.get("value"), str):
            if SECRET_NAME.search(node["name"]) and node["value"]:
                yield f"env {node['name']} is a plaintext value; reference a secret store instead"
        if isinstance(node, str) and "=" in node and re.match(r"^[A-Z_][A-Z0-9_]*=", node):
            name, _, value = node.partition("=")
            # `X_FILE=/path` names a secret file (the images' convention). Docker `envs` ("K=V") has no
            # secret reference, so there a Pulumi secret is the floor.
            if (SECRET_NAME.search(name) and value and not value.startswith("$") and not name.endswith("_FILE")
                    and node not in resource.secret_values):
                yield f"env {name} is a plaintext value; use a secret file or the platform's secret store"


def _ssh_closed_to_world(resource: ResourceView) -> Iterable[str]:
    """Any firewall-ish rule admitting port 22 from everywhere (DigitalOcean, AWS, GCP shapes)."""
    for node in _walk(resource.props):
        if not isinstance(node, dict):
            continue
        sources = set(node.get("sourceAddresses") or []) | set(node.get("cidrBlocks") or []) | set(
            node.get("ipv6CidrBlocks") or []
        ) | set(node.get("sourceRanges") or []) | ({node["cidrIpv4"]} if node.get("cidrIpv4") else set())
        if not sources & OPEN_WORLD:
            continue
        ports = str(node.get("portRange") or "")
        from_port, to_port = node.get("fromPort"), node.get("toPort")
        if ports in {"22", "1-65535", "all"} or (
            isinstance(from_port, (int, float)) and isinstance(to_port, (int, float)) and from_port <= 22 <= to_port
        ) or any("22" in str(p) for a in node.get("allows") or [] for p in a.get("ports") or []):
            yield "SSH (22) is open to the internet; restrict it to sshAllowedCidrs"


PLAINTEXT_SECRET_ENV = ResourceRule(
    name="no-plaintext-secret-env",
    description="Secrets reach containers through the platform's secret store, never literal env values.",
    level=Level.MANDATORY,
    check=_plaintext_secret_env,
)

SSH_NOT_OPEN = ResourceRule(
    name="ssh-not-open-to-world",
    description="SSH is reachable only from configured CIDRs, never 0.0.0.0/0.",
    level=Level.MANDATORY,
    check=_ssh_closed_to_world,
)

ALL_RULES: list[ResourceRule | StackRule] = [PLAINTEXT_SECRET_ENV, SSH_NOT_OPEN]

# Provider rule modules build on the types above, so they are imported after them.
from infra.policy.gcp import GCP_RULES  # noqa: E402

ALL_RULES += GCP_RULES
from infra.policy.aws import AWS_RULES  # noqa: E402

ALL_RULES += AWS_RULES
from infra.policy.digitalocean import DO_RULES  # noqa: E402

ALL_RULES += DO_RULES
from infra.policy.kubernetes import K8S_RULES  # noqa: E402

ALL_RULES += K8S_RULES
