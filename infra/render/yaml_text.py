"""The one YAML writer of every renderer: block style, key order kept, multi-line strings literal."""

from __future__ import annotations

from typing import Any

import yaml

WIDTH = 120


# libyaml's emitter (in every PyYAML wheel) writes the same YAML as the pure-Python one at a fraction of the
# CPU: that one was a tenth of a plan. The two differ only in where they fold a long double-quoted string.
class _Dumper(yaml.CSafeDumper):
    pass


def _str(dumper: _Dumper, value: str) -> yaml.ScalarNode:
    # Dashboards, rule expressions and scripts read better as literal blocks.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(data: Any, header: str | None = None, sort_keys: bool = False, width: int = WIDTH) -> str:
    """One document; `header` becomes a leading `# header` comment line."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=sort_keys, default_flow_style=False, width=width)
    return f"# {header}\n{text}" if header else text


def dump_all(documents: list[Any]) -> str:
    """A multi-document stream (`---` between documents), in the given order."""
    return yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=WIDTH)
