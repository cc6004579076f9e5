"""The rule catalogue as Markdown, grouped by risk class.

docs/operations/policy.md embeds it; a test keeps them equal.
"""

from __future__ import annotations

from infra.tooling.policy.base import Risk
from infra.tooling.policy.rules import ALL_RULES

BEGIN, END = "<!-- rules:start -->", "<!-- rules:end -->"


def markdown() -> str:
    lines = [BEGIN]
    for risk in Risk:
        rules = [r for r in ALL_RULES if r.risk is risk]
        if not rules:
            continue
        lines += [
            "",
            f"### {risk.value.capitalize()} ({len(rules)})",
            "",
            "| rule | level | rationale |",
            "|---|---|---|",
        ]
        lines += [
            f"| `{r.name}` | {r.level.value} | {r.description} |"
            for r in sorted(rules, key=lambda r: (r.level.value != "mandatory", r.name))
        ]
    lines += ["", END]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
