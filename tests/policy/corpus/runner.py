"""Run corpus programs through the offline plan's mock engine, the way `python -m infra plan` runs a stack."""

from __future__ import annotations

from dataclasses import dataclass

from infra.tooling.cost import CostEstimate, estimate
from infra.tooling.plan.runner import run_program
from infra.tooling.plan.stackfile import StackConfig
from infra.tooling.policy import ALL_RULES, Violation
from infra.tooling.policy.engine import evaluate
from infra.tooling.resources import PlannedResource
from tests.policy.corpus import Program

CONFIG = StackConfig(
    project="corpus",
    stack="test",
    values={
        "aws:region": "us-east-1",
        "gcp:project": "corpus-project",
        "gcp:region": "us-central1",
        "digitalocean:token": "placeholder",
    },
    secret_keys=[],
)


@dataclass
class CorpusRun:
    program: Program
    resources: list[PlannedResource]
    violations: list[Violation]
    cost: CostEstimate

    @property
    def violated(self) -> set[str]:
        return {v.policy for v in self.violations if not v.waiver}


def run(program: Program) -> CorpusRun:
    ran = run_program(program.run, CONFIG)
    return CorpusRun(program, ran.resources, evaluate(ran.resources, ALL_RULES, waivers=()), estimate(ran.resources))
