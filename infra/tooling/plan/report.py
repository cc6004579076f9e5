"""Human-readable plan output: resource tree, outputs, cost, policy."""

from __future__ import annotations

import json

from infra.tooling.plan.plan import PlanResult
from infra.tooling.values import masked

PLACEHOLDER_NOTE = (
    "Values only the cloud knows (ids, addresses, generated passwords) are deterministic "
    "placeholders (TEST-NET addresses, *.invalid hosts, placeholder-*); secrets print as [secret]."
)


def _tree_lines(result: PlanResult) -> list[str]:
    # Keyed by URN: components commonly name their children after themselves.
    children: dict[str, list] = {}
    for r in result.resources:
        children.setdefault(r.parent, []).append(r)
    urns = {r.urn for r in result.resources}
    roots = [r for r in result.resources if r.parent not in urns]
    lines: list[str] = []

    def walk(resource, depth: int) -> None:
        flag = " [protect]" if resource.protect else ""
        lines.append(f"{'  ' * depth}+ {resource.type}  {resource.name}{flag}")
        for child in children.get(resource.urn, []):
            walk(child, depth + 1)

    for r in roots:
        walk(r, 1)
    return lines


def text_report(result: PlanResult) -> str:
    lines = [f"stack {result.stack} (target {result.target}): {len(result.resources)} resources"]
    lines += _tree_lines(result)
    if result.outputs:
        lines.append("Outputs:")
        for key, value in sorted(masked(result.outputs).items()):
            lines.append(f"  {key}: {json.dumps(value) if not isinstance(value, str) else value}")
    lines.append(f"Cost: ${result.cost.monthly_usd:.2f}/month")
    for item in result.cost.items:
        lines.append(f"  ${item.monthly_usd:8.2f}  {item.resource}: {item.basis}")
    for what in result.cost.unpriced:
        lines.append(f"  unpriced: {what}")
    if result.violations:
        waived = sum(1 for v in result.violations if v.waiver)
        lines.append(f"Policy: {len(result.violations)} violation(s)" + (f", {waived} waived" if waived else ""))
        for v in result.violations:
            waived = f" (waived: {v.waiver})" if v.waiver else ""
            lines.append(f"  [{v.level.value}] {v.policy}: {v.resource}: {v.message}{waived}")
    else:
        lines.append("Policy: no violations")
    lines += [f"Advisory: {line}" for line in result.advisories]
    lines.append(PLACEHOLDER_NOTE)
    return "\n".join(lines)


def json_report(result: PlanResult, secret_key: bytes | None = None) -> str:
    return json.dumps(result.as_dict(secret_key), indent=2, sort_keys=False, default=str)
