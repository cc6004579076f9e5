"""Create one Pulumi resource per manifest dict, typed where pulumi_kubernetes has a class.

Typed resources (not yaml.v2.ConfigGroup) so every object is its own node in the plan with its
own dependencies (the API Deployment depends on the migrate Job) and its own policy checks.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pulumi

# apiVersion group -> pulumi_kubernetes module prefix (built-in kinds we use)
GROUPS = {
    "": "core",
    "apps": "apps",
    "batch": "batch",
    "policy": "policy",
    "autoscaling": "autoscaling",
    "networking.k8s.io": "networking",
}


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _resource_class(api_version: str, kind: str):
    group, _, version = api_version.rpartition("/")
    module = GROUPS.get(group)
    if module is None:
        return None
    return getattr(importlib.import_module(f"pulumi_kubernetes.{module}.{version}"), kind)


def logical_name(obj: dict) -> str:
    name = obj["metadata"]["name"]
    return f"{obj['kind'].lower()}-{name}" if isinstance(name, str) else obj["kind"].lower()


def create(obj: dict, opts: pulumi.ResourceOptions, name: str | None = None) -> pulumi.CustomResource:
    body: dict[str, Any] = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    resource_name = name or logical_name(obj)
    cls = _resource_class(obj["apiVersion"], obj["kind"])
    if cls is None:
        from pulumi_kubernetes.apiextensions import CustomResource

        return CustomResource(resource_name, api_version=obj["apiVersion"], kind=obj["kind"], opts=opts, **body)
    return cls(resource_name, opts=opts, **{_snake(k): v for k, v in body.items()})


def create_all(objs: list[dict], opts: pulumi.ResourceOptions) -> dict[str, pulumi.CustomResource]:
    return {logical_name(o): create(o, opts) for o in objs}
