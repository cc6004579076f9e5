"""From planned resources to a monthly estimate with the basis of every line.

Each provider module under infra/cost/ maps resource type tokens to a rule; a rule turns one
planned resource into zero or more CostItems. Types with no rule cost nothing (VPCs, firewalls,
DNS records, IAM): the README lists what the model leaves out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType

from infra.plan.mocks import PlannedResource


@dataclass(frozen=True)
class CostItem:
    resource: str
    type: str
    monthly_usd: float
    basis: str


@dataclass(frozen=True)
class CostEstimate:
    items: tuple[CostItem, ...] = field(default_factory=tuple)

    @property
    def monthly_usd(self) -> float:
        return round(sum(i.monthly_usd for i in self.items), 2)

    def as_dict(self) -> dict:
        return {
            "monthly_usd": self.monthly_usd,
            "items": [
                {"resource": i.resource, "type": i.type, "monthly_usd": round(i.monthly_usd, 2), "basis": i.basis}
                for i in self.items
            ],
        }


CostRule = Callable[[PlannedResource], Iterable[CostItem]]

# Provider modules with a COST_RULES table; add a provider by adding its module here.
PROVIDER_RULES: tuple[ModuleType, ...] = ()


def _rules() -> dict[str, CostRule]:
    table: dict[str, CostRule] = {}
    for module in PROVIDER_RULES:
        table.update(module.COST_RULES)
    return table


def estimate(resources: Iterable[PlannedResource]) -> CostEstimate:
    rules = _rules()
    items: list[CostItem] = []
    for resource in resources:
        rule = rules.get(resource.type)
        if rule is not None:
            items.extend(rule(resource))
    return CostEstimate(tuple(items))


# Provider rule modules import CostItem from here, so they are registered after it exists.
from infra.cost import gcp as _gcp  # noqa: E402

PROVIDER_RULES += (_gcp,)
from infra.cost import aws as _aws  # noqa: E402

PROVIDER_RULES += (_aws,)
from infra.cost import digitalocean as _digitalocean  # noqa: E402

PROVIDER_RULES += (_digitalocean,)
from infra.cost import kubernetes as _kubernetes  # noqa: E402

PROVIDER_RULES += (_kubernetes,)
