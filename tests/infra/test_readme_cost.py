"""docs/cost.md's table is what the offline plan of each shipped stack file computes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

COST_PAGE = Path(__file__).resolve().parents[2] / "docs" / "cost.md"
STACKS = ["dev", "prod", "local", "aws", "gcp", "serverless"]


def _table() -> dict[str, tuple[str, float, int]]:
    text = COST_PAGE.read_text()
    section = text.split("<!-- section:cost:start -->")[1].split("<!-- section:cost:end -->")[0]
    rows = {}
    for match in re.finditer(r"^\| `(\w+)` \| (\w+) \| \$([\d.,]+) \| \$([\d,]+) \|", section, re.M):
        stack, target, monthly, budget = match.groups()
        rows[stack] = (target, float(monthly.replace(",", "")), int(budget.replace(",", "")))
    return rows


@pytest.mark.parametrize("stack", STACKS)
def test_readme_cost_row_matches_the_plan(plan_stack, stack):
    result = plan_stack(stack)
    target, monthly, budget = _table()[stack]
    assert target == result.target
    assert monthly == pytest.approx(result.cost.monthly_usd, abs=0.005), (
        f"docs/cost.md table: `{stack}` should read ${result.cost.monthly_usd:.2f}"
    )
    assert budget == result.settings.budget_monthly_usd
    assert result.cost.monthly_usd <= budget or budget == 0
