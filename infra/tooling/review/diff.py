"""Compare two offline plans (their --json form) and describe the change as Markdown.

Each changed resource is marked *replaced* when a changed input is one its provider cannot
update in place (infra/tooling/review/replacements.py), naming that input. Secret inputs are compared by
keyed hash: both plans print `[secret:<HMAC>]` under a key that exists only for this comparison
(`new_review_key`), so a changed secret is seen and never shown.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from infra.tooling.plan.mocks import placeholder_id
from infra.tooling.review.replacements import forces_replacement

Key = tuple[str, str, str]  # (type, name, parent)
REVIEW_KEY_ENV = "AI_SERVICE_REVIEW_KEY"
_FINGERPRINT = re.compile(r"^\[secret:[0-9a-f]+\]$")
UNCOMPARABLE = "the base plan masks secrets without a keyed hash"


def new_review_key() -> bytes:
    """A fresh random key for one diff; exported to the base plan's process through the environment."""
    key = secrets.token_bytes(32)
    os.environ[REVIEW_KEY_ENV] = key.hex()
    return key


def review_key() -> bytes | None:
    """The key `plan --json` fingerprints secrets with, when run by `infra diff`."""
    value = os.environ.get(REVIEW_KEY_ENV, "")
    return bytes.fromhex(value) if value else None


@dataclass
class InputChange:
    path: str
    before: Any
    after: Any
    forces_replacement: bool = False

    @property
    def secret(self) -> bool:
        return any(_is_secret(v) for v in (self.before, self.after))


def _is_secret(value: Any) -> bool:
    return isinstance(value, str) and (value == "[secret]" or bool(_FINGERPRINT.match(value)))


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
    replaced: dict[Key, list[str]] = field(default_factory=dict)  # resource -> the inputs that force it
    # resource -> (input, replaced resource it names): a new id in a force-new input replaces this one too
    cascaded: dict[Key, list[tuple[str, str]]] = field(default_factory=dict)
    uncertain: dict[Key, list[str]] = field(default_factory=dict)  # force-new secret inputs the base cannot compare
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
        changes, uncertain = [], []
        for p in sorted(set(a) | set(b)):
            before_value, after_value = a.get(p), b.get(p)
            if before_value == after_value:
                continue
            if before_value == "[secret]" and _is_secret(after_value):
                # An older base masks without a keyed hash: equal or not is unknown.
                if forces_replacement(key[0], p):
                    uncertain.append(p)
                continue
            changes.append(InputChange(p, before_value, after_value, forces_replacement(key[0], p)))
        if changes:
            diff.changed[key] = changes
            forced = [c.path for c in changes if c.forces_replacement]
            if forced:
                diff.replaced[key] = forced
        if uncertain:
            diff.uncertain[key] = uncertain
    _cascade(diff, new)
    diff.cost_before = before.get("cost", {}).get("monthly_usd", 0.0)
    diff.cost_after = after.get("cost", {}).get("monthly_usd", 0.0)
    lines_before, lines_after = _cost_lines(before), _cost_lines(after)
    for line in sorted(set(lines_before) | set(lines_after)):
        b, a = lines_before.get(line, 0.0), lines_after.get(line, 0.0)
        if round(a - b, 2):
            diff.cost_lines.append((line, b, a))
    seen = {(v["policy"], v["resource"], v["message"]) for v in before.get("policy", {}).get("violations", [])}
    diff.new_violations = [
        v
        for v in after.get("policy", {}).get("violations", [])
        if (v["policy"], v["resource"], v["message"]) not in seen
    ]
    return diff


def _cascade(diff: PlanDiff, resources: dict[Key, dict]) -> None:
    """Resources whose force-new input holds the id of a replaced resource they depend on: the new id
    replaces them too. The plan's ids are placeholders that stay the same across a replacement, so
    this is found by reference (the input holds that resource's id and the engine recorded the
    dependency), not by a changed value; repeated until nothing new is marked.
    """
    while True:
        gone = {f"{t} {n}": n for (t, n, _) in [*diff.replaced, *diff.cascaded]}
        found = False
        for key, resource in resources.items():
            if key in diff.replaced or key in diff.cascaded:
                continue
            names = {gone[d] for d in resource.get("dependsOn", []) if d in gone}
            ids = {placeholder_id(n): n for n in names}
            hits = [
                (path, ids[value])
                for path, value in _flatten(resource["inputs"]).items()
                if isinstance(value, str) and value in ids and forces_replacement(key[0], path)
            ]
            if hits:
                diff.cascaded[key] = hits
                found = True
        if not found:
            return


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
    mark = " **(forces replacement)**" if change.forces_replacement else ""
    if change.secret:
        return f"`{change.path}`: `[secret]` changed (compared by keyed hash){mark}"
    delta = _text_delta(change.before, change.after)
    if delta is not None:
        return f"`{change.path}`{mark}:<br>" + "<br>".join(delta)
    return f"`{change.path}`: {_short(change.before)} → {_short(change.after)}{mark}"


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    text = text.replace("|", "\\|").replace("\n", "⏎")
    return f"`{text[:80]}{'…' if len(text) > 80 else ''}`" if text else '`""`'


def to_markdown(diff: PlanDiff) -> str:
    delta = diff.cost_after - diff.cost_before
    updated = len([k for k in diff.changed if k not in diff.replaced and k not in diff.cascaded])
    out = [
        f"### Plan diff: `{diff.stack}` ({diff.base_label} → working tree)",
        "",
        f"**Resources:** {len(diff.added)} to add, {len(diff.removed)} to remove, {updated} to change, "
        f"{len(diff.replaced) + len(diff.cascaded)} to replace" + (f"  \n_{diff.base_note}_" if diff.base_note else ""),
        "",
    ]
    if diff.replaced:
        out.append("**Replaced (deleted and created again — data on them is lost, addresses may change):**")
        out += [
            f"- `{t}` {n}: forced by {', '.join(f'`{p}`' for p in paths)}" for (t, n, _), paths in diff.replaced.items()
        ]
        out += [
            f"- `{t}` {n}: its {', '.join(f'`{p}`' for p, _ in hits)} names the replaced "
            f"{', '.join(sorted({r for _, r in hits}))}"
            for (t, n, _), hits in diff.cascaded.items()
        ]
        out.append("")
    if diff.uncertain:
        out.append(f"**May be replaced** ({UNCOMPARABLE}; run the diff again once the base has keyed hashes):")
        out += [f"- `{t}` {n}: {', '.join(f'`{p}`' for p in paths)}" for (t, n, _), paths in diff.uncertain.items()]
        out.append("")
    if diff.added or diff.removed or diff.changed:
        out += ["| | type | name | changed inputs |", "|---|---|---|---|"]
        out += [f"| + | `{t}` | {n} | |" for t, n, _ in diff.added]
        out += [f"| − | `{t}` | {n} | |" for t, n, _ in diff.removed]
        for key, changes in diff.changed.items():
            t, n, _ = key
            # Forcing inputs first: they are the ones a reviewer must see.
            ordered = sorted(changes, key=lambda c: not c.forces_replacement)
            shown = "<br>".join(_change_text(c) for c in ordered[:8])
            more = f"<br>… {len(changes) - 8} more" if len(changes) > 8 else ""
            replaced = key in diff.replaced or key in diff.cascaded
            out.append(f"| {'±' if replaced else '~'} | `{t}` | {n} | {shown}{more} |")
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
