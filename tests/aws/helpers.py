"""Readers over planned AWS resources shared by the tests in this package."""

from __future__ import annotations

import json

from infra.plan.values import unwrapped


def props(resource) -> dict:
    return unwrapped(resource.inputs)


def containers(result, family_suffix: str) -> dict[str, dict]:
    """Container definitions of the task definition `<stack>-<family_suffix>`, by container name."""
    task = result.one("TaskDefinition", f"{result.stack}-{family_suffix}")
    return {c["name"]: c for c in json.loads(props(task)["containerDefinitions"])}


def statements(result, role_policy: str) -> list[dict]:
    document = json.loads(props(result.one("RolePolicy", role_policy))["policy"])
    return document["Statement"]


def sg_id(name: str) -> str:
    """The id a security group named `name` has under the plan's mocks."""
    return f"{name}-placeholder-id"
