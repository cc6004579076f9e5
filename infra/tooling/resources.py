"""A planned resource: what the program registered, as the offline plan, cost, policy and review read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PlannedResource:
    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    protect: bool
    inputs: dict[str, Any]
    dependencies: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    id: str = ""  # the (placeholder) id other resources receive when they reference this one
