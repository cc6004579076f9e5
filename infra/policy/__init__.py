"""Policy rules as plain functions: the offline plan and the Pulumi policy pack run the same code."""

from infra.policy.engine import ResourceView, Violation, evaluate
from infra.policy.rules import ALL_RULES, Level, ResourceRule, StackRule

__all__ = ["ALL_RULES", "Level", "ResourceRule", "ResourceView", "StackRule", "Violation", "evaluate"]
