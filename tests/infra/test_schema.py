"""Pulumi.yaml, the stack-file JSON Schema and the README reference all come from the settings model."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from infra import schema
from infra.plan.stackfile import load_stack_config
from infra.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
STACKS = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))


def test_generated_files_are_current():
    assert schema.stale_files() == [], "run: python -m infra schema --write"


def test_the_six_stacks_exist():
    assert STACKS == ["aws", "dev", "gcp", "local", "prod", "serverless"]


@pytest.mark.parametrize("stack", STACKS)
def test_stack_file_points_editors_at_the_schema_and_validates(stack):
    path = ROOT / f"Pulumi.{stack}.yaml"
    assert path.read_text().startswith("# yaml-language-server: $schema=./schema/stack-config.schema.json\n")
    document = yaml.safe_load(path.read_text())
    jsonschema.validate(document, json.loads((ROOT / "schema/stack-config.schema.json").read_text()))
    load_settings(load_stack_config(stack).values)  # and our own validation accepts it


def test_schema_rejects_a_typo_an_editor_should_flag():
    document = {"config": {"ai-service:apiReplica": 3}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, json.loads((ROOT / "schema/stack-config.schema.json").read_text()))


def test_pulumi_yaml_declares_scalars_with_defaults_the_model_uses():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    declared = project["config"]
    assert declared["apiReplicas"] == {
        "type": "integer",
        "description": declared["apiReplicas"]["description"],
        "default": 2,
    }
    assert declared["sshAllowedCidrs"]["type"] == "array"
    # structured keys and optional secrets are not declared (a declared key without default is required)
    assert "workers" not in declared and "openaiApiKey" not in declared
    defaults = load_settings({f"ai-service:{k}": json.dumps(v) if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else str(v) for k, v in ((k, d["default"]) for k, d in declared.items())})
    assert defaults == load_settings({})


def test_readme_reference_lists_every_key():
    readme = (ROOT / "README.md").read_text()
    for key in ("ai-service:workers", "ai-service:openaiApiKey", "ai-service:sshAllowedCidrs"):
        assert f"`{key}`" in readme
