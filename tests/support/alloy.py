"""A checker for the Alloy configs we render: the test machines have no Alloy binary (no Debian package).

Three parts, each from Grafana Alloy's documentation (docs/sources/get-started/configuration-syntax
and docs/sources/reference/components/*):
- `parse`: the configuration syntax (blocks `name "label" { ... }`, `attr = expr`, strings,
  numbers, bools, lists, objects, dotted references, `//` comments). Anything else is a parse error,
  so the renderer cannot drift into syntax this checker does not understand.
- `validate`: each component's documented arguments, blocks, required arguments and exports;
  every reference must name a declared component's export; regexes must compile.
- `relabel` and `run_pipeline`: the semantics of `discovery.relabel` rules and of the
  `loki.process` stages we use (cri, json, regex, labels, label_drop), applied to real lines.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import jmespath

# --- syntax --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    path: str  # e.g. "loki.write.loki.receiver"


@dataclass
class Block:
    name: str
    label: str | None
    attrs: dict[str, Any] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def children(self, name: str) -> list[Block]:
        return [b for b in self.blocks if b.name == name]


class AlloySyntaxError(ValueError):
    pass


_TOKEN = re.compile(
    r"""(?P<ws>\s+|//[^\n]*)
      |(?P<string>"(?:[^"\\\n]|\\.)*")
      |(?P<number>-?\d+(?:\.\d+)?)
      |(?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
      |(?P<punct>[{}\[\]=,])""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            line = text.count("\n", 0, pos) + 1
            raise AlloySyntaxError(f"line {line}: unexpected {text[pos : pos + 20]!r}")
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group(), text.count("\n", 0, pos) + 1))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str):
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str, int]:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else ("eof", "", -1)

    def take(self, kind: str, value: str | None = None) -> str:
        k, v, line = self.peek()
        if k != kind or (value is not None and v != value):
            raise AlloySyntaxError(f"line {line}: expected {value or kind}, got {v or k!r}")
        self.i += 1
        return v

    def body(self, until: str | None) -> tuple[dict[str, Any], list[Block]]:
        attrs: dict[str, Any] = {}
        blocks: list[Block] = []
        while True:
            k, v, line = self.peek()
            if (until is None and k == "eof") or (k == "punct" and v == until):
                return attrs, blocks
            name = self.take("ident")
            k, v, line = self.peek()
            if k == "punct" and v == "=":
                self.i += 1
                if "." in name or name in attrs:
                    raise AlloySyntaxError(f"line {line}: bad or repeated attribute {name!r}")
                attrs[name] = self.expr()
            else:
                label = json.loads(self.take("string")) if k == "string" else None
                self.take("punct", "{")
                a, b = self.body("}")
                self.take("punct", "}")
                blocks.append(Block(name, label, a, b))

    def expr(self) -> Any:
        k, v, line = self.peek()
        self.i += 1
        if k == "string":
            return json.loads(v)  # Alloy strings use Go escapes; ours are JSON-compatible
        if k == "number":
            return float(v) if "." in v else int(v)
        if k == "ident":
            literals = {"true": True, "false": False, "null": None}
            return literals[v] if v in literals else Ref(v)
        if v == "[":
            items = []
            while self.peek()[1] != "]":
                items.append(self.expr())
                if self.peek()[1] == ",":
                    self.i += 1
            self.take("punct", "]")
            return items
        if v == "{":
            obj = {}
            while self.peek()[1] != "}":
                kk, key, _ = self.peek()
                self.i += 1
                key = json.loads(key) if kk == "string" else key
                self.take("punct", "=")
                obj[key] = self.expr()
                if self.peek()[1] == ",":
                    self.i += 1
            self.take("punct", "}")
            return obj
        raise AlloySyntaxError(f"line {line}: unexpected {v!r} in an expression")


def parse(text: str) -> list[Block]:
    p = _Parser(text)
    attrs, blocks = p.body(None)
    if attrs:
        raise AlloySyntaxError(f"top-level attributes are not allowed: {sorted(attrs)}")
    return blocks


# --- component reference -------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    args: frozenset[str]
    required: frozenset[str] = frozenset()
    blocks: dict[str, Spec] = field(default_factory=dict)
    exports: frozenset[str] = frozenset()
    labelled: bool = True  # components take a label; config blocks (logging) do not


def _spec(
    args: str, required: str = "", blocks: dict[str, Spec] | None = None, exports: str = "", labelled: bool = True
) -> Spec:
    return Spec(
        frozenset(args.split()), frozenset(required.split()), blocks or {}, frozenset(exports.split()), labelled
    )


_RULE = _spec("source_labels separator regex modulus target_label replacement action", labelled=False)
_STAGES = {
    "stage.cri": _spec("max_partial_lines max_partial_line_size max_partial_line_size_truncate", labelled=False),
    "stage.json": _spec("expressions source drop_malformed", "expressions", labelled=False),
    "stage.regex": _spec("expression source labels_from_groups", "expression", labelled=False),
    "stage.labels": _spec("values", labelled=False),
    "stage.label_drop": _spec("values", labelled=False),
}
# Arguments, required arguments, blocks and exports per the Alloy component reference.
COMPONENTS: dict[str, Spec] = {
    "logging": _spec("level format write_to", labelled=False),
    "discovery.docker": _spec(
        "host port host_networking_host match_first_network refresh_interval bearer_token_file "
        "proxy_url follow_redirects enable_http2",
        "host",
        {"filter": _spec("name values", "name values", labelled=False)},
        "targets",
    ),
    "discovery.kubernetes": _spec(
        "api_server kubeconfig_file role bearer_token_file proxy_url follow_redirects enable_http2",
        "role",
        {
            "namespaces": _spec("own_namespace names", labelled=False),
            "selectors": _spec("role label field", "role", labelled=False),
        },
        "targets",
    ),
    "discovery.relabel": _spec("targets", "targets", {"rule": _RULE}, "output rules"),
    "local.file_match": _spec("path_targets sync_period ignore_older_than", "path_targets", exports="targets"),
    "loki.source.docker": _spec(
        "host targets forward_to labels relabel_rules refresh_interval", "host targets forward_to"
    ),
    "loki.source.file": _spec("targets forward_to encoding tail_from_end legacy_positions_file", "targets forward_to"),
    "loki.process": _spec("forward_to", "forward_to", dict(_STAGES), "receiver"),
    "loki.write": _spec(
        "max_streams external_labels",
        "",
        {
            "endpoint": _spec(
                "url name headers batch_wait batch_size remote_timeout tenant_id "
                "min_backoff_period max_backoff_period max_backoff_retries "
                "retry_on_http_429 bearer_token bearer_token_file",
                "url",
                labelled=False,
            )
        },
        "receiver",
    ),
}
_REGEX_ARGS = {("rule", "regex"), ("stage.regex", "expression")}


def _go_regex(pattern: str) -> re.Pattern[str]:
    """RE2 subset we use is also Python syntax (named groups `(?P<x>)`, lazy quantifiers)."""
    return re.compile(pattern)


def _check_block(block: Block, spec: Spec, where: str, problems: list[str]) -> None:
    if spec.labelled != (block.label is not None):
        problems.append(f"{where}: {'needs' if spec.labelled else 'takes no'} label")
    for name, value in block.attrs.items():
        if name not in spec.args:
            problems.append(f"{where}: unknown argument {name!r}")
        if (block.name, name) in _REGEX_ARGS:
            try:
                _go_regex(value)
            except re.error as exc:
                problems.append(f"{where}: {name} does not compile: {exc}")
    for name in spec.required - block.attrs.keys():
        problems.append(f"{where}: missing required argument {name!r}")
    for child in block.blocks:
        child_spec = spec.blocks.get(child.name)
        if child_spec is None:
            problems.append(f"{where}: unknown block {child.name!r}")
        else:
            _check_block(child, child_spec, f"{where} > {child.name}", problems)


def _refs(value: Any) -> list[Ref]:
    if isinstance(value, Ref):
        return [value]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    if isinstance(value, dict):
        return [r for v in value.values() for r in _refs(v)]
    return []


def _all_attrs(block: Block) -> list[Any]:
    return [*block.attrs.values(), *(v for b in block.blocks for v in _all_attrs(b))]


def validate(blocks: list[Block]) -> list[str]:
    """Problems (empty list: valid against the component reference)."""
    problems: list[str] = []
    declared: dict[str, str] = {}
    for block in blocks:
        spec = COMPONENTS.get(block.name)
        if spec is None:
            problems.append(f"unknown component {block.name!r}")
            continue
        key = f"{block.name}.{block.label}" if block.label else block.name
        if key in declared:
            problems.append(f"{key} declared twice")
        declared[key] = block.name
        _check_block(block, spec, key, problems)
    for block in blocks:
        for ref in (r for v in _all_attrs(block) for r in _refs(v)):
            component, _, export = ref.path.rpartition(".")
            if component not in declared:
                problems.append(f"{block.name}: reference to undeclared {component!r}")
            elif export not in COMPONENTS[declared[component]].exports:
                problems.append(f"{block.name}: {declared[component]} exports no {export!r}")
    return problems


def component(blocks: list[Block], name: str, label: str) -> Block:
    found = [b for b in blocks if b.name == name and b.label == label]
    assert len(found) == 1, f"{name} {label!r}: {len(found)} found"
    return found[0]


# --- semantics -----------------------------------------------------------------------------


def _expand(template: str, match: re.Match[str]) -> str:
    # Go's Regexp.Expand: $1 / ${1} / ${name}; unknown groups expand to "".
    def group(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        try:
            return match.group(int(name) if name.isdigit() else name) or ""
        except IndexError:
            return ""

    return re.sub(r"\$(?:\{(\w+)\}|(\w+))", group, template)


def relabel(rules: list[Block], labels: dict[str, str]) -> dict[str, str] | None:
    """Prometheus relabelling (replace, keep, drop); None when the target is dropped."""
    labels = dict(labels)
    for rule in rules:
        a = rule.attrs
        value = a.get("separator", ";").join(labels.get(name, "") for name in a.get("source_labels", []))
        regex = _go_regex(f"^(?:{a.get('regex', '(.*)')})$")
        match = regex.match(value)
        action = a.get("action", "replace")
        if action == "drop" and match:
            return None
        if action == "keep" and not match:
            return None
        if action == "replace" and match:
            result = _expand(a.get("replacement", "$1"), match)
            if result:
                labels[a["target_label"]] = result
            else:
                labels.pop(a["target_label"], None)
    return labels


def visible(labels: dict[str, str]) -> dict[str, str]:
    """Labels that reach Loki: `__`-prefixed ones are internal to discovery."""
    return {k: v for k, v in labels.items() if not k.startswith("__")}


@dataclass
class Entry:
    line: str
    labels: dict[str, str]
    extracted: dict[str, Any] = field(default_factory=dict)


_CRI = re.compile(r"(?s)^(?P<time>\S+?) (?P<stream>stdout|stderr) (?P<flags>\S+?) (?P<content>.*)$")


def _stage(stage: Block, entry: Entry) -> None:
    a = stage.attrs
    if stage.name == "stage.cri":
        m = _CRI.match(entry.line)
        if m:  # the documented pipeline: regex, `stream` label, timestamp, output = content
            entry.extracted.update(m.groupdict())
            entry.labels["stream"] = m["stream"]
            entry.line = m["content"]
    elif stage.name == "stage.json":
        source = entry.extracted.get(a["source"]) if "source" in a else entry.line
        try:
            data = json.loads(source) if isinstance(source, str) else None
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict):  # a non-JSON line passes on unchanged
            for name, expr in a["expressions"].items():
                entry.extracted[name] = jmespath.search(expr or name, data)
    elif stage.name == "stage.regex":
        source = entry.extracted.get(a["source"]) if "source" in a else entry.line
        if isinstance(source, str):
            m = _go_regex(a["expression"]).search(source)
            if m:
                entry.extracted.update({k: v for k, v in m.groupdict().items() if v is not None})
    elif stage.name == "stage.labels":
        for label, source in a["values"].items():
            value = entry.extracted.get(source or label)
            if value is not None:
                entry.labels[label] = value if isinstance(value, str) else json.dumps(value)
    elif stage.name == "stage.label_drop":
        for label in a["values"]:
            entry.labels.pop(label, None)
    else:
        raise NotImplementedError(f"the test interpreter does not implement {stage.name}")


def run_pipeline(process: Block, line: str, labels: dict[str, str]) -> Entry:
    """One entry through a `loki.process` block's stages, in order."""
    entry = Entry(line, dict(labels))
    for stage in process.blocks:
        _stage(stage, entry)
    return entry
