"""The Pulumi.<stack>.yaml files a user edits: each validates against the schema and plans (exit 0).

Every other test reads the copies in tests/fixtures/stacks/, so editing a shipped stack file changes
only these checks (and the CI plan job, which plans the same files).
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from infra.settings import load_settings
from infra.settings.loader import ConfigError
from infra.tooling.plan.plan import plan_config
from infra.tooling.plan.stackfile import load_stack_config

ROOT = Path(__file__).resolve().parents[2]
STACKS = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))


def test_the_six_stacks_exist():
    assert STACKS == ["aws", "dev", "gcp", "local", "prod", "serverless"]


@pytest.mark.parametrize("stack", STACKS)
def test_stack_file_points_editors_at_the_schema_and_validates(stack):
    path = ROOT / f"Pulumi.{stack}.yaml"
    assert path.read_text().startswith("# yaml-language-server: $schema=./schema/stack-config.schema.json\n")
    document = yaml.safe_load(path.read_text())
    jsonschema.validate(document, json.loads((ROOT / "schema/stack-config.schema.json").read_text()))


@pytest.mark.parametrize("stack", STACKS)
def test_stack_file_plans_without_problems(stack):
    """What `python -m infra plan STACK` exits 0 on: settings load, no problem (policy, budget, capacity)."""
    config = load_stack_config(stack)
    try:
        result = plan_config(config, load_settings(config.values, config.secret_keys))
    except ConfigError as error:  # what the CLI prints as one line per problem, with exit 2
        pytest.fail(f"Pulumi.{stack}.yaml: {error}", pytrace=False)
    assert not result.problems, f"Pulumi.{stack}.yaml: " + "; ".join(map(str, result.problems))
