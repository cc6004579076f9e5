"""From planned resources to a monthly estimate with the basis of every line.

Each provider module under infra/cost/ maps resource type tokens to a rule (COST_RULES); a rule
turns one planned resource into zero or more CostItems. Types that cost nothing (VPCs, firewalls,
IAM, DNS records) are listed in the module's FREE_TYPES. Any other type, or a rule that finds no
price for what a resource asks for (an unknown instance class), is reported as `unpriced`: the
plan prints it instead of a silent $0. Rules that need other resources (an ECS service reading
its task definition's cpu/memory) are wrapped in `with_context`.
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


class Unpriced(Exception):
    """Raised by a rule that has no list price for what the resource asks for; the message says what."""


@dataclass(frozen=True)
class CostEstimate:
    items: tuple[CostItem, ...] = field(default_factory=tuple)
    unpriced: tuple[str, ...] = field(default_factory=tuple)  # "TYPE" or "TYPE (detail)", one per distinct case

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
            "unpriced": list(self.unpriced),
        }


CostRule = Callable[[PlannedResource], Iterable[CostItem]]


@dataclass(frozen=True)
class with_context:  # noqa: N801 (used like a decorator)
    """A rule that also sees every planned resource: `rule(resource, resources)`."""

    rule: Callable[[PlannedResource, list[PlannedResource]], Iterable[CostItem]]

# Provider modules with a COST_RULES table; add a provider by adding its module here.
PROVIDER_RULES: tuple[ModuleType, ...] = ()


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
    return CostEstimate(tuple(items), tuple(dict.fromkeys(unpriced)))


# Provider rule modules import CostItem from here, so they are registered after it exists.
from infra.cost import gcp as _gcp  # noqa: E402

PROVIDER_RULES += (_gcp,)
from infra.cost import aws as _aws  # noqa: E402

PROVIDER_RULES += (_aws,)
from infra.cost import digitalocean as _digitalocean  # noqa: E402

PROVIDER_RULES += (_digitalocean,)
from infra.cost import kubernetes as _kubernetes  # noqa: E402

PROVIDER_RULES += (_kubernetes,)
from infra.cost import common as _common  # noqa: E402

PROVIDER_RULES += (_common,)
