"""One offline plan: settings -> program under mocks -> cost -> policy -> budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.settings import Settings, load_settings
from infra.settings.advisories import advisories
from infra.tooling.cost import CostEstimate, estimate
from infra.tooling.plan.runner import run_program
from infra.tooling.plan.stackfile import PROJECT_ROOT, StackConfig, load_stack_config
from infra.tooling.policy import Violation, evaluate
from infra.tooling.resources import PlannedResource
from infra.tooling.values import Secret, contains_secret, fingerprinted
from infra.tooling.values import masked as mask
from stacks import program as stack_program


@dataclass
class PlanResult:
    stack: str
    settings: Settings
    resources: list[PlannedResource]
    outputs: dict[str, Any]
    artifacts: dict[str, Any]
    cost: CostEstimate
    violations: list[Violation]
    problems: list[str] = field(default_factory=list)  # one line each; non-empty = plan failed
    advisories: list[str] = field(default_factory=list)  # one line each; printed, the plan still passes

    @property
    def target(self) -> str:
        return self.settings.target.value

    def find(self, type_suffix: str, name: str | None = None) -> list[PlannedResource]:
        """Resources whose type ends with `type_suffix` (e.g. 'Droplet'), optionally by name."""
        return [r for r in self.resources if r.type.endswith(type_suffix) and (name is None or r.name == name)]

    def one(self, type_suffix: str, name: str | None = None) -> PlannedResource:
        found = self.find(type_suffix, name)
        if len(found) != 1:
            raise LookupError(f"expected one {type_suffix} {name or ''}, found {[r.name for r in found]}")
        return found[0]

    def as_dict(self, secret_key: bytes | None = None) -> dict:
        """Plain data; secrets masked, or with `secret_key` fingerprinted by keyed hash (for `infra diff`)."""

        def masked(value: Any) -> Any:
            return fingerprinted(value, secret_key) if secret_key else mask(value)

        def resource(r: PlannedResource) -> dict:
            out = {"type": r.type, "name": r.name, "parent": _parent_name(r.parent), "inputs": masked(r.inputs)}
            if secret_key:  # for `infra diff`: which resources' outputs the inputs use (replacements cascade)
                out["dependsOn"] = sorted({_urn_key(u) for u in r.dependencies})
            return out

        return {
            "stack": self.stack,
            "target": self.target,
            "resources": [resource(r) for r in self.resources],
            "outputs": masked(self.outputs),
            "cost": self.cost.as_dict(),
            "policy": {"violations": [v.as_dict() for v in self.violations]},
        }


def _urn_key(urn: str) -> str:
    """`type name` of a URN (urn:pulumi:STACK::PROJECT::[parent types$]TYPE::NAME)."""
    head, _, name = urn.rpartition("::")
    return f"{head.rpartition('::')[2].rpartition('$')[2]} {name}"


def _parent_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if urn else ""


def plan(stack: str, config_file: Path | None = None, root: Path = PROJECT_ROOT) -> PlanResult:
    """Plan `stack`. Raises ConfigError/StackFileError before any resource is registered."""
    config = load_stack_config(stack, config_file, root)
    settings = load_settings(config.values, config.secret_keys)
    return plan_config(config, settings)


def plan_config(config: StackConfig, settings: Settings) -> PlanResult:
    program = run_program(stack_program.run, config)  # the same entry __main__.py uses
    cost = estimate(program.resources)
    violations = evaluate(program.resources)
    problems = [f"policy {v.policy}: {v.resource}: {v.message}" for v in violations if v.blocking]
    budget = settings.budget_monthly_usd
    if budget and cost.monthly_usd > budget:
        problems.append(
            f"ai-service:budgetMonthlyUsd: estimated ${cost.monthly_usd:.2f}/month exceeds the budget of ${budget}"
        )
    problems += [
        (
            f"artifact {path}: contains a secret value; secrets must reach hosts through the secret store, not "
            "rendered files"
        )
        for path, content in program.artifacts.items()
        if contains_secret(content)
    ]
    return PlanResult(
        stack=config.stack,
        settings=settings,
        resources=program.resources,
        outputs=program.outputs,
        artifacts={p: c for p, c in program.artifacts.items() if not isinstance(c, Secret)},
        cost=cost,
        violations=violations,
        problems=problems,
        advisories=advisories(settings),
    )
