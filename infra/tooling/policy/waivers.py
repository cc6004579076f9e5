"""Per-resource waivers: a rule that does not apply to one resource, with the reason written down.

Two ways, both read by the offline plan and the policy pack:
- on the resource itself, where it carries tags, labels or annotations: the key
  `policy-waiver-<rule>` with the reason as its value (AWS tags, GCP labels, Kubernetes
  annotations or labels, Docker labels); DigitalOcean tags are plain strings, so there the tag
  is `policy-waiver-<rule>:<reason>`;
- for resource types with nothing to tag (IAM access keys, role policies): an entry in
  `policy/waivers.yaml` — `{rule, type, name, reason}`, `name` a glob on the Pulumi resource name.

A waiver without a reason waives nothing. Waived violations are still reported, marked waived.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

PREFIX = "policy-waiver-"
WAIVERS_FILE = Path(__file__).resolve().parents[3] / "policy" / "waivers.yaml"


@dataclass(frozen=True)
class FileWaiver:
    rule: str
    type: str
    name: str  # glob
    reason: str


class WaiverFileError(ValueError):
    """policy/waivers.yaml is malformed; one line."""


def load_file(path: Path = WAIVERS_FILE) -> tuple[FileWaiver, ...]:
    if not path.exists():
        return ()
    entries = yaml.safe_load(path.read_text()) or []
    if not isinstance(entries, list):
        raise WaiverFileError(f"{path}: expected a list of {{rule, type, name, reason}}")
    waivers = []
    for i, entry in enumerate(entries):
        missing = [
            k
            for k in ("rule", "type", "name", "reason")
            if not (isinstance(entry, dict) and str(entry.get(k) or "").strip())
        ]
        if missing:
            raise WaiverFileError(f"{path}: entry {i} needs {', '.join(missing)}")
        waivers.append(FileWaiver(str(entry["rule"]), str(entry["type"]), str(entry["name"]), str(entry["reason"])))
    return tuple(waivers)


def _mappings(props: dict[str, Any]) -> list[dict]:
    meta = props.get("metadata") or {}
    found = [
        props.get("tags"),
        props.get("labels"),
        props.get("userLabels"),
        meta.get("annotations") if isinstance(meta, dict) else None,
        meta.get("labels") if isinstance(meta, dict) else None,
    ]
    docker_labels = props.get("labels")
    if isinstance(docker_labels, list):  # docker: [{label, value}]
        found.append({d.get("label"): d.get("value") for d in docker_labels if isinstance(d, dict)})
    return [m for m in found if isinstance(m, dict)]


def resource_waiver(
    type_: str, name: str, props: dict[str, Any], rule: str, file_waivers: tuple[FileWaiver, ...] = ()
) -> str | None:
    """The reason `rule` is waived for this resource, or None."""
    key = PREFIX + rule
    for mapping in _mappings(props):
        reason = mapping.get(key)
        if isinstance(reason, str) and reason.strip():
            return reason.strip()
    tags = props.get("tags")
    if isinstance(tags, list):  # DigitalOcean: "policy-waiver-<rule>:<reason>"
        for tag in tags:
            if isinstance(tag, str) and tag.startswith(key + ":") and tag[len(key) + 1 :].strip():
                return tag[len(key) + 1 :].strip()
    for waiver in file_waivers:
        if waiver.rule == rule and waiver.type == type_ and fnmatchcase(name, waiver.name):
            return waiver.reason
    return None
