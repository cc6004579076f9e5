"""What a cost rule returns: priced lines, the unpriced signal, and the rule shapes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from infra.tooling.resources import PlannedResource


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
