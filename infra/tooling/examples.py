"""The example apps' stack files (examples/<app>/Pulumi.<stack>.yaml) and their cost table.

Each example stack is planned like any stack (`python -m infra plan <stack> --config-file <file>`);
the app × target table in examples/README.md is written from those plans between marker comments:

    python -m infra.tooling.examples --write

tests/examples/ plans every file and fails when the table no longer matches the plans.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from infra.settings.model import Target
from infra.tooling.docs_figures import ROOT, page_with_block

EXAMPLES_DIR = ROOT / "examples"
README = EXAMPLES_DIR / "README.md"
TABLE = "example-costs"
TARGETS = tuple(t.value for t in Target)  # column order


def stack_files(root: Path = EXAMPLES_DIR) -> list[Path]:
    """Every example stack file, app by app."""
    return sorted(root.glob("*/Pulumi.*.yaml"))


def stack_name(path: Path) -> str:
    """Pulumi.<stack>.yaml -> <stack> (the name `pulumi stack init` gets)."""
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml")


def app_name(path: Path) -> str:
    return path.parent.name


def cost_table(costs: Iterable[tuple[str, str, float]]) -> str:
    """(app, target, monthly USD) -> a Markdown table, apps as rows and the targets they use as columns."""
    cells: dict[str, dict[str, float]] = {}
    for app, target, monthly in costs:
        cells.setdefault(app, {})[target] = monthly
    columns = [t for t in TARGETS if any(t in row for row in cells.values())]
    lines = [
        "| app | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
        *(
            f"| [{app}]({app}/) | " + " | ".join(f"${row[t]:.2f}" if t in row else "—" for t in columns) + " |"
            for app, row in sorted(cells.items())
        ),
    ]
    return "\n".join(lines)


def readme_with_table(table: str) -> str:
    return page_with_block(README.read_text(), TABLE, table)


def _plan_costs() -> list[tuple[str, str, float]]:
    from infra.tooling.plan.plan import plan  # the heavy part, only when asked to plan

    rows = []
    for path in stack_files():
        result = plan(stack_name(path), path)
        if result.problems:
            raise SystemExit(f"{path.relative_to(ROOT)}: " + "; ".join(result.problems))
        rows.append((app_name(path), result.target, result.cost.monthly_usd))
    return rows


if __name__ == "__main__":
    wanted = readme_with_table(cost_table(_plan_costs()))
    stale = README.read_text() != wanted
    if "--write" in sys.argv[1:]:
        README.write_text(wanted)
        print(f"wrote {README.relative_to(ROOT)}")
    elif stale:
        print(f"stale: {README.relative_to(ROOT)}")
    sys.exit(1 if stale and "--write" not in sys.argv[1:] else 0)
