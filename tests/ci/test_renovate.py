"""Renovate moves every pinned image and tool: each image the Python code pins is captured by one of
renovate.json's regex managers (applied here as Renovate applies them), with its tag intact."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / "renovate.json").read_text())


def _python_regex(js: str) -> re.Pattern:
    return re.compile(js.replace("(?<", "(?P<"))


def captured() -> set[tuple[str, str]]:
    """(depName, currentValue) of every dependency the custom managers extract from the repository."""
    found = set()
    files = [
        p
        for d in ("infra", "stacks", ".ci", "app")
        for p in (ROOT / d).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    for manager in CONFIG["customManagers"]:
        patterns = [_python_regex(p.strip("/")) for p in manager["managerFilePatterns"]]
        for path in files:
            rel = path.relative_to(ROOT).as_posix()
            if not any(p.search(rel) for p in patterns):
                continue
            text = path.read_text()
            for match_string in manager["matchStrings"]:
                for m in _python_regex(match_string).finditer(text):
                    found.add((m.group("depName"), m.group("currentValue")))
    return found


def pinned_images() -> set[tuple[str, str]]:
    """Every `*_IMAGE = "repo:tag"` constant and `image="repo:tag"` argument under infra/ and stacks/."""
    images = set()
    for path in [*ROOT.glob("infra/**/*.py"), *ROOT.glob("stacks/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            value = None
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id.endswith("_IMAGE") for t in node.targets
            ):
                value = node.value
            elif isinstance(node, ast.keyword) and node.arg == "image":
                value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and ":" in value.value:
                name, tag = value.value.split("@")[0].rsplit(":", 1)
                images.add((name, tag))
    return images


def test_every_pinned_image_is_moved_by_renovate():
    images = pinned_images()
    assert {("redis", "7.4.11-alpine"), ("nginx", "1.30.5-alpine"), ("prom/prometheus", "v3.5.0")} <= images
    missing = images - captured()
    assert not missing, f"images no Renovate manager captures: {sorted(missing)}"


def test_chart_versions_and_tools_are_moved_too():
    deps = {name for name, _ in captured()}
    assert {"kube-prometheus-stack", "cert-manager", "checkov", "@grafana/lezer-logql"} <= deps


def test_actions_are_pinned_to_digests():
    assert CONFIG["github-actions"]["pinDigests"] is True
