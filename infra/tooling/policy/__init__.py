"""Policy rules as plain functions: the offline plan and the Pulumi policy pack run the same code."""

from infra.tooling.policy.base import Level, ResourceRule, StackRule
from infra.tooling.policy.engine import ResourceView, Violation, evaluate
from infra.tooling.policy.rules import ALL_RULES

__all__ = ["ALL_RULES", "Level", "ResourceRule", "ResourceView", "StackRule", "Violation", "evaluate"]
