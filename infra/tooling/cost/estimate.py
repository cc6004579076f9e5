"""From planned resources to a monthly estimate with the basis of every line.

Each provider module under infra/tooling/cost/ maps resource type tokens to a rule (COST_RULES); a rule
turns one planned resource into zero or more CostItems. Types that cost nothing (VPCs, firewalls,
IAM, DNS records) are listed in the module's FREE_TYPES. Any other type, or a rule that finds no
price for what a resource asks for (an unknown instance class), is reported as `unpriced`: the
plan prints it instead of a silent $0. Rules that need other resources (an ECS service reading
its task definition's cpu/memory) are wrapped in `with_context`.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

from infra.tooling.cost import aws as _aws
from infra.tooling.cost import common as _common
from infra.tooling.cost import digitalocean as _digitalocean
from infra.tooling.cost import gcp as _gcp
from infra.tooling.cost import kubernetes as _kubernetes
from infra.tooling.cost.items import CostEstimate, CostItem, CostRule, Unpriced, with_context
from infra.tooling.resources import PlannedResource

__all__ = ["CostEstimate", "CostItem", "CostRule", "Unpriced", "estimate", "is_free", "with_context"]

# Provider modules with a COST_RULES table; add a provider by adding its module here.
PROVIDER_RULES: tuple[ModuleType, ...] = (_gcp, _aws, _digitalocean, _kubernetes, _common)


def _rules() -> dict[str, CostRule | with_context]:
    table: dict[str, CostRule | with_context] = {}
    for module in PROVIDER_RULES:
        table.update(module.COST_RULES)
    return table


def is_free(type_: str) -> bool:
    return any(type_ in getattr(module, "FREE_TYPES", ()) for module in PROVIDER_RULES)


def estimate(resources: Iterable[PlannedResource]) -> CostEstimate:
    resources = list(resources)
    rules = _rules()
    items: list[CostItem] = []
    unpriced: list[str] = []
    for resource in resources:
        if not resource.custom or resource.type.startswith("pulumi:providers:"):
            continue  # components and providers cost nothing themselves
        rule = rules.get(resource.type)
        if rule is None:
            if not is_free(resource.type):
                unpriced.append(resource.type)
            continue
        try:
            items.extend(rule.rule(resource, resources) if isinstance(rule, with_context) else rule(resource))
        except Unpriced as exc:
            unpriced.append(f"{resource.type} ({exc})")
    # Sorted: resources register in whatever order their inputs resolve, and a plan must read the same each run.
    return CostEstimate(tuple(items), tuple(sorted(set(unpriced))))
