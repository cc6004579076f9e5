"""`python -m infra graph` draws every planned resource; the pictures in README.md are current and valid."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from infra.tooling.review.graph import to_dot, write_graph
from tests.support.tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"


def _drawn(result) -> list:
    return [r for r in result.resources if r.custom and not r.type.startswith("pulumi:providers:")]


def _node_titles(svg_path: Path) -> set[str]:
    tree = ET.parse(svg_path)
    assert tree.getroot().tag == f"{SVG}svg"
    titles = set()
    for group in tree.getroot().iter(f"{SVG}g"):
        if group.get("class") == "node":
            titles.add(group.find(f"{SVG}title").text)
    return titles


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_graph_draws_every_resource_and_component(plan_stack, tmp_path, stack):
    require_tool("dot", "apt-get install graphviz")
    result = plan_stack(stack)
    output = tmp_path / f"{stack}.svg"
    write_graph(to_dot(result.resources, stack), output)
    assert _node_titles(output) == {r.urn for r in _drawn(result)}
    dot = to_dot(result.resources, stack)
    components = [r for r in result.resources if not r.custom]
    assert components and all(f'"cluster_{c.urn}"' in dot for c in components)
    assert "->" in dot, "dependencies must be drawn as edges"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_readme_picture_is_current(plan_stack, stack):
    picture = ROOT / "docs" / f"architecture-{stack}.svg"
    assert f"docs/architecture-{stack}.svg" in (ROOT / "README.md").read_text()
    assert _node_titles(picture) == {r.urn for r in _drawn(plan_stack(stack))}, (
        f"regenerate: python -m infra graph {stack} -o docs/architecture-{stack}.svg"
    )


def test_png_output(plan_stack, tmp_path):
    require_tool("dot", "apt-get install graphviz")
    output = tmp_path / "dev.png"
    write_graph(to_dot(plan_stack("dev").resources, "dev"), output)
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and output.stat().st_size > 10_000
