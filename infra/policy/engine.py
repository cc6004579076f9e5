"""Evaluate the rules over a plan's resources (the pack does the same per resource)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from infra.plan.mocks import PlannedResource
from infra.plan.values import Secret, unwrapped
from infra.policy.rules import ALL_RULES, Level, ResourceRule, ResourceView, StackRule


@dataclass(frozen=True)
class Violation:
    policy: str
    resource: str
    level: Level
    message: str

    def as_dict(self) -> dict:
        return {"policy": self.policy, "resource": self.resource, "level": self.level.value, "message": self.message}


def _secret_strings(value: Any, inside: bool = False) -> set[str]:
    if isinstance(value, Secret):
        return _secret_strings(value.value, True)
    if isinstance(value, dict):
        return set().union(*(_secret_strings(v, inside) for v in value.values()))
    if isinstance(value, (list, tuple)):
        return set().union(*(_secret_strings(v, inside) for v in value))
    return {value} if inside and isinstance(value, str) else set()


def view(resource: PlannedResource) -> ResourceView:
    return ResourceView(type=resource.type, name=resource.name, props=unwrapped(resource.inputs), protect=resource.protect,
                        secret_values=frozenset(_secret_strings(resource.inputs)))


def evaluate(resources: Iterable[PlannedResource], rules: Iterable[ResourceRule | StackRule] = ALL_RULES) -> list[Violation]:
    views = [view(r) for r in resources if r.custom]
    found: list[Violation] = []
    for rule in rules:
        if isinstance(rule, ResourceRule):
            for v in views:
                found += [Violation(rule.name, v.name, rule.level, m) for m in rule.check(v)]
        else:
            found += [Violation(rule.name, name, rule.level, m) for name, m in rule.check(views)]
    return found
