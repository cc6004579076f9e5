"""Figures the docs quote are the code's: each generated block equals what the code computes now."""

from __future__ import annotations

import pytest

from infra.tooling import docs_figures


@pytest.mark.parametrize("name", sorted(docs_figures.BLOCKS))
def test_generated_block_is_current(name: str) -> None:
    page, build = docs_figures.BLOCKS[name]
    text = (docs_figures.ROOT / page).read_text()
    assert docs_figures.page_with_block(text, name, build()) == text, (
        f"{page}: the {name} figures are stale; run: python -m infra.tooling.docs_figures --write"
    )


def test_droplet_budget_names_the_total_the_capacity_check_uses() -> None:
    from infra.render.dockerhost import capacity, topology
    from infra.settings.model import Settings

    specs = topology.docker_host_containers(Settings(target="droplet"), docs_figures._PROBE)
    block = docs_figures.droplet_memory()
    assert f"**{sum(s.memory_mib for s in specs)}** of {int(4096 * capacity.HOST_MEMORY_SHARE)}" in block
    assert capacity.memory_problems(specs, "s-2vcpu-4gb") == []


AWS_PAGE = docs_figures.ROOT / "docs" / "targets" / "aws.md"
NETWORK_CHOICES = {  # row label in the network table -> the fargate settings it prices
    "public subnets (default": {},
    "`privateSubnets: true, natGateway: true`": {"fargate": {"privateSubnets": True, "natGateway": True}},
    "`privateSubnets: true` |": {"fargate": {"privateSubnets": True}},
}


def _row(page: str, label: str) -> str:
    return next(line for line in page.splitlines() if line.startswith(f"| {label}"))


@pytest.mark.parametrize("label", NETWORK_CHOICES)
def test_aws_network_choice_costs_are_the_plan(label: str) -> None:
    from tests.fixtures.plan import plan_with

    result = plan_with("aws", budgetMonthlyUsd=0, **NETWORK_CHOICES[label])
    assert f"${result.cost.monthly_usd:.2f}" in _row(AWS_PAGE.read_text(), label)


def test_aws_cost_table_totals_are_the_plan(plan_stack) -> None:
    total = _row(AWS_PAGE.read_text(), "**total / month**")
    aws, serverless = plan_stack("aws").cost.monthly_usd, plan_stack("serverless").cost.monthly_usd
    assert total == f"| **total / month** | **${aws:.2f}** | **${serverless:.2f}** |"
