"""Monthly cost of a planned stack: a dated price table and per-resource-type rules."""

from infra.tooling.cost.estimate import CostEstimate, CostItem, estimate

__all__ = ["CostEstimate", "CostItem", "estimate"]
