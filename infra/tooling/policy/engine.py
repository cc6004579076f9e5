"""Evaluate the rules over a plan's resources (the pack does the same per resource)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from infra.tooling.policy import waivers as waiver_file
from infra.tooling.policy.base import Level, ResourceRule, ResourceView, StackRule
from infra.tooling.policy.rules import ALL_RULES
from infra.tooling.policy.waivers import FileWaiver, resource_waiver
from infra.tooling.resources import PlannedResource
from infra.tooling.values import Secret, unwrapped

IDENTIFYING_OUTPUTS = ("id", "name", "arn", "bucket", "family")


@dataclass(frozen=True)
class Violation:
    policy: str
    resource: str
    level: Level
    message: str
    waiver: str = ""  # the documented reason this resource is exempt; a waived violation fails nothing

    @property
    def blocking(self) -> bool:
        return self.level is Level.MANDATORY and not self.waiver

    def as_dict(self) -> dict:
        found = {"policy": self.policy, "resource": self.resource, "level": self.level.value, "message": self.message}
        return found | ({"waiver": self.waiver} if self.waiver else {})


def _secret_strings(value: Any, inside: bool = False) -> set[str]:
    if isinstance(value, Secret):
        return _secret_strings(value.value, True)
    if isinstance(value, dict):
        return set().union(*(_secret_strings(v, inside) for v in value.values()))
    if isinstance(value, (list, tuple)):
        return set().union(*(_secret_strings(v, inside) for v in value))
    return {value} if inside and isinstance(value, str) else set()


def _ids(resource: PlannedResource) -> frozenset[str]:
    outputs = unwrapped(resource.outputs or {})
    found = {str(outputs[k]) for k in IDENTIFYING_OUTPUTS if isinstance(outputs.get(k), str)}
    return frozenset(found | ({resource.id} if resource.id else set()))


def view(resource: PlannedResource) -> ResourceView:
    return ResourceView(
        type=resource.type,
        name=resource.name,
        props=unwrapped(resource.inputs),
        protect=resource.protect,
        secret_values=frozenset(_secret_strings(resource.inputs)),
        secrets_known=True,
        ids=_ids(resource),
    )


def evaluate(
    resources: Iterable[PlannedResource],
    rules: Iterable[ResourceRule | StackRule] = ALL_RULES,
    waivers: tuple[FileWaiver, ...] | None = None,
) -> list[Violation]:
    views = [view(r) for r in resources if r.custom]
    return evaluate_views(views, rules, waiver_file.load_file() if waivers is None else waivers)


def evaluate_views(
    views: list[ResourceView], rules: Iterable[ResourceRule | StackRule], waivers: tuple[FileWaiver, ...] = ()
) -> list[Violation]:
    def waived(rule: str, candidates: list[ResourceView]) -> str:
        reasons = (resource_waiver(v.type, v.name, v.props, rule, waivers) for v in candidates)
        return next((r for r in reasons if r), "")

    found: list[Violation] = []
    for rule in rules:
        if isinstance(rule, ResourceRule):
            for v in views:
                found += [Violation(rule.name, v.name, rule.level, m, waived(rule.name, [v])) for m in rule.check(v)]
        else:  # stack rules name the resource; names are unique per type, not across types
            found += [
                Violation(rule.name, name, rule.level, m, waived(rule.name, [v for v in views if v.name == name]))
                for name, m in rule.check(views)
            ]
    return found
