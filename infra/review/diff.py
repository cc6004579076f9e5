"""Compare two offline plans (their --json form) and describe the change as Markdown."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, str, str]  # (type, name, parent)


@dataclass
class InputChange:
    path: str
    before: Any
    after: Any


@dataclass
class PlanDiff:
    stack: str
    base_label: str
    added: list[Key] = field(default_factory=list)
    removed: list[Key] = field(default_factory=list)
    changed: dict[Key, list[InputChange]] = field(default_factory=dict)
    cost_before: float = 0.0
    cost_after: float = 0.0
    cost_lines: list[tuple[str, float, float]] = field(default_factory=list)  # (resource: basis, before, after)
    new_violations: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # from the working-tree plan (budget, mandatory policy)
    base_note: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.problems) or any(v["level"] == "mandatory" for v in self.new_violations)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def _parse_embedded(value: Any) -> Any:
    """Inputs that are JSON documents (IAM policies, task definitions) diff better parsed."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    if isinstance(value, dict):
        return {k: _parse_embedded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_parse_embedded(v) for v in value]
    return value


def _index(plan: dict) -> dict[Key, dict]:
    return {(r["type"], r["name"], r["parent"]): r for r in plan.get("resources", [])}


def _cost_lines(plan: dict) -> dict[str, float]:
    lines: dict[str, float] = {}
    for item in plan.get("cost", {}).get("items", []):
        key = f"{item['resource']}: {item['basis']}"
        lines[key] = lines.get(key, 0.0) + item["monthly_usd"]
    return lines


def compare(before: dict, after: dict, *, base_label: str, problems: list[str] | None = None) -> PlanDiff:
    diff = PlanDiff(stack=after.get("stack", before.get("stack", "?")), base_label=base_label, problems=problems or [])
    old, new = _index(before), _index(after)
    diff.added = sorted(set(new) - set(old))
    diff.removed = sorted(set(old) - set(new))
    for key in sorted(set(old) & set(new)):
        a = _flatten(_parse_embedded(old[key]["inputs"]))
        b = _flatten(_parse_embedded(new[key]["inputs"]))
        changes = [InputChange(p, a.get(p), b.get(p)) for p in sorted(set(a) | set(b)) if a.get(p) != b.get(p)]
        if changes:
            diff.changed[key] = changes
    diff.cost_before = before.get("cost", {}).get("monthly_usd", 0.0)
    diff.cost_after = after.get("cost", {}).get("monthly_usd", 0.0)
    lines_before, lines_after = _cost_lines(before), _cost_lines(after)
    for line in sorted(set(lines_before) | set(lines_after)):
        b, a = lines_before.get(line, 0.0), lines_after.get(line, 0.0)
        if round(a - b, 2):
            diff.cost_lines.append((line, b, a))
    seen = {(v["policy"], v["resource"], v["message"]) for v in before.get("policy", {}).get("violations", [])}
    diff.new_violations = [
        v for v in after.get("policy", {}).get("violations", []) if (v["policy"], v["resource"], v["message"]) not in seen
    ]
    return diff


def _text_delta(before: Any, after: Any, limit: int = 6) -> list[str] | None:
    """For multi-line documents (compose.yaml, cloud-init…): the changed lines, not the first 80 characters."""
    if not (isinstance(before, str) and isinstance(after, str) and ("\n" in before or "\n" in after)):
        return None
    lines = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    shown = [f"`{line[:100].replace('|', chr(92) + '|')}`" for line in lines[:limit]]
    return shown + ([f"… {len(lines) - limit} more lines"] if len(lines) > limit else [])


def _change_text(change: InputChange) -> str:
    delta = _text_delta(change.before, change.after)
    if delta is not None:
        return f"`{change.path}`:<br>" + "<br>".join(delta)
    return f"`{change.path}`: {_short(change.before)} → {_short(change.after)}"


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    text = text.replace("|", "\\|").replace("\n", "⏎")
    return f"`{text[:80]}{'…' if len(text) > 80 else ''}`" if text else "`\"\"`"


def to_markdown(diff: PlanDiff) -> str:
    delta = diff.cost_after - diff.cost_before
    out = [
        f"### Plan diff: `{diff.stack}` ({diff.base_label} → working tree)",
        "",
        f"**Resources:** {len(diff.added)} to add, {len(diff.removed)} to remove, {len(diff.changed)} to change"
        + (f"  \n_{diff.base_note}_" if diff.base_note else ""),
        "",
    ]
    if diff.added or diff.removed or diff.changed:
        out += ["| | type | name | changed inputs |", "|---|---|---|---|"]
        out += [f"| + | `{t}` | {n} | |" for t, n, _ in diff.added]
        out += [f"| − | `{t}` | {n} | |" for t, n, _ in diff.removed]
        for (t, n, _), changes in diff.changed.items():
            shown = "<br>".join(_change_text(c) for c in changes[:8])
            more = f"<br>… {len(changes) - 8} more" if len(changes) > 8 else ""
            out.append(f"| ~ | `{t}` | {n} | {shown}{more} |")
        out.append("")
    sign = "+" if delta >= 0 else "−"
    out.append(f"**Monthly cost:** ${diff.cost_before:.2f} → ${diff.cost_after:.2f} ({sign}${abs(delta):.2f})")
    if diff.cost_lines:
        out += ["", "| cost line | before | after |", "|---|---:|---:|"]
        out += [f"| {line} | ${b:.2f} | ${a:.2f} |" for line, b, a in diff.cost_lines]
    out.append("")
    if diff.new_violations:
        out.append("**New policy violations:**")
        out += [f"- [{v['level']}] `{v['policy']}` on {v['resource']}: {v['message']}" for v in diff.new_violations]
    else:
        out.append("**Policy:** no new violations")
    if diff.problems:
        out += ["", "**Plan problems (the change fails):**"] + [f"- {p}" for p in diff.problems]
    return "\n".join(out) + "\n"
