"""Generate, from the settings model, the three views of config users and tools read.

- Pulumi.yaml `config:`: scalar and array keys with type, description and default (Pulumi's
  schema types only string/integer/boolean/array; structured keys and optional secrets are left
  out there because a declared key without default is required by the CLI).
- schema/stack-config.schema.json: JSON Schema for Pulumi.<stack>.yaml (built in infra/tooling/stack_schema.py).
- docs/config.md's config reference table, between marker comments.
`python -m infra schema --write` regenerates them; a test fails when any is stale.
"""

from __future__ import annotations

import json
import typing
from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from infra.settings.loader import NAMESPACE
from infra.settings.model import Settings
from infra.tooling.stack_schema import stack_file_schema

ROOT = Path(__file__).resolve().parents[2]
PULUMI_YAML = ROOT / "Pulumi.yaml"
JSON_SCHEMA = ROOT / "schema" / "stack-config.schema.json"
CONFIG_DOC = ROOT / "docs" / "config.md"
REF_START, REF_END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"

PROJECT_HEADER = {
    "name": "ai-service",
    "runtime": {"name": "python", "options": {"toolchain": "uv"}},
    "description": "FastAPI AI service (API + workers, Postgres/pgvector, Redis, S3, monitoring) on "
    "DigitalOcean, Kubernetes, ECS Fargate, Cloud Run, Lambda or local Docker",
}


def _is_secret(field: FieldInfo) -> bool:
    return SecretStr in typing.get_args(field.annotation) or field.annotation is SecretStr


def _is_structured(field: FieldInfo) -> bool:
    return bool((field.json_schema_extra or {}).get("structured"))


def _pulumi_type(field: FieldInfo) -> str:
    annotation = field.annotation
    origin = typing.get_origin(annotation)
    if origin is tuple:
        return "array"
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "integer"
    return "string"


def _plain_default(field: FieldInfo) -> Any:
    value = field.get_default(call_default_factory=True)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


def _declared() -> dict[str, FieldInfo]:
    return {
        f.alias or name: f for name, f in Settings.model_fields.items() if not _is_secret(f) and not _is_structured(f)
    }


def pulumi_yaml_text() -> str:
    config: dict[str, Any] = {}
    for alias, field in _declared().items():
        entry: dict[str, Any] = {"type": _pulumi_type(field), "description": field.description}
        if entry["type"] == "array":
            entry["items"] = {"type": "string"}
        entry["default"] = _plain_default(field)
        config[alias] = entry
    document = dict(PROJECT_HEADER, config=config)
    banner = "# Generated config schema: edit infra/settings/model.py, then `python -m infra schema --write`.\n"
    return banner + yaml.safe_dump(document, sort_keys=False, width=120, allow_unicode=True)


def json_schema_text() -> str:
    return json.dumps(stack_file_schema(), indent=2) + "\n"


def _default_text(field: FieldInfo) -> str:
    if _is_secret(field):
        return "—"
    if _is_structured(field):
        default = field.get_default(call_default_factory=True)
        if isinstance(default, tuple):
            dumped = [w.model_dump(by_alias=True) for w in default]
        elif isinstance(default, dict):
            dumped = default
        else:
            dumped = default.model_dump(by_alias=True, exclude_none=True)
        return f"`{json.dumps(dumped, separators=(',', ':'))}`"
    return f"`{json.dumps(_plain_default(field))}`"


def reference_table() -> str:
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    for field in Settings.model_fields.values():
        kind = "secret" if _is_secret(field) else ("object" if _is_structured(field) else _pulumi_type(field))
        rows.append(f"| `{NAMESPACE}:{field.alias}` | {kind} | {_default_text(field)} | {field.description} |")
    return "\n".join(rows)


def _reference_page_text(current: str) -> str:
    if REF_START not in current or REF_END not in current:
        raise SystemExit(f"{CONFIG_DOC}: add {REF_START} and {REF_END} markers where the reference goes")
    head, _, rest = current.partition(REF_START)
    _, _, tail = rest.partition(REF_END)
    return f"{head}{REF_START}\n{reference_table()}\n{REF_END}{tail}"


def _wanted() -> dict[Path, str]:
    return {
        PULUMI_YAML: pulumi_yaml_text(),
        JSON_SCHEMA: json_schema_text(),
        CONFIG_DOC: _reference_page_text(CONFIG_DOC.read_text()),
    }


def stale_files() -> list[Path]:
    return [p for p, text in _wanted().items() if not p.exists() or p.read_text() != text]


def write_all() -> list[Path]:
    changed = stale_files()
    for path, text in _wanted().items():
        if path in changed:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return changed
