"""Draw a planned stack: components as clusters, resources as nodes, dependencies as edges."""

from __future__ import annotations

import subprocess
from collections import defaultdict
from pathlib import Path

from infra.tooling.resources import PlannedResource

FORMATS = {".svg": "svg", ".png": "png", ".dot": None}


def _short_type(type_token: str) -> str:
    # "digitalocean:index/droplet:Droplet" -> "digitalocean Droplet"
    package, _, rest = type_token.partition(":")
    return f"{package} {rest.rsplit(':', 1)[-1]}" if rest else type_token


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label(*lines: str) -> str:
    """A multi-line DOT label (DOT's own \\n line break between escaped lines)."""
    return '"' + "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines) + '"'


def to_dot(resources: list[PlannedResource], title: str) -> str:
    by_urn = {r.urn: r for r in resources}
    children: dict[str, list[PlannedResource]] = defaultdict(list)
    for r in resources:
        children[r.parent if r.parent in by_urn else ""].append(r)
    lines = [
        "digraph plan {",
        f"  label={_quote(title)}; labelloc=t; fontname=Helvetica; rankdir=LR; compound=true;",
        '  node [shape=box, style="rounded,filled", fillcolor="#f5f7fa", fontname=Helvetica, fontsize=10];',
        '  edge [color="#8a94a6", arrowsize=0.6];',
    ]

    def emit(parent_urn: str, depth: int) -> None:
        pad = "  " * depth
        for r in children.get(parent_urn, []):
            if r.custom:
                if r.type.startswith("pulumi:providers:"):
                    continue
                lines.append(f"{pad}{_quote(r.urn)} [label={_label(r.name, _short_type(r.type))}];")
            else:
                lines.append(f"{pad}subgraph {_quote('cluster_' + r.urn)} {{")
                lines.append(
                    f"{pad}  label={_quote(r.name + ' (' + r.type.rsplit(':', 1)[-1] + ')')}; style=rounded; "
                    'color="#4c6ef5";'
                )
                emit(r.urn, depth + 1)
                lines.append(f"{pad}}}")

    emit("", 1)
    drawn = {r.urn for r in resources if r.custom and not r.type.startswith("pulumi:providers:")}
    for r in resources:
        for dep in r.dependencies:
            if r.urn in drawn and dep in drawn and dep != r.urn:
                lines.append(f"  {_quote(dep)} -> {_quote(r.urn)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_graph(dot: str, output: Path) -> None:
    fmt = FORMATS.get(output.suffix)
    if output.suffix not in FORMATS:
        raise ValueError(f"-o {output}: use a .svg, .png or .dot file")
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt is None:
        output.write_text(dot)
        return
    subprocess.run(["dot", f"-T{fmt}", "-o", str(output)], input=dot.encode(), check=True)
