"""One output naming convention: camelCase, the same name for the same thing on every stack."""

from __future__ import annotations

import re

import pytest

from infra.tooling.values import Secret
from stacks.outputs import EVERY_TARGET, OUTPUTS, SECRET_OUTPUTS

STACKS = ("dev", "prod", "local", "aws", "gcp", "serverless")
CAMEL = re.compile(r"^[a-z][a-z0-9]*([A-Z][a-z0-9]*)*(MiB)?$")


@pytest.mark.parametrize("stack", STACKS)
def test_outputs_follow_the_convention(plan_stack, stack):
    outputs = plan_stack(stack).outputs
    assert set(EVERY_TARGET) <= set(outputs), f"{stack} lacks {set(EVERY_TARGET) - set(outputs)}"
    assert [n for n in outputs if not CAMEL.match(n)] == [], "outputs are camelCase"
    assert sorted(set(outputs) - set(OUTPUTS)) == [], "a new output is named in stacks/outputs.py first"
    assert {n for n in outputs if isinstance(outputs[n], Secret)} == SECRET_OUTPUTS & set(outputs)


def test_the_vocabulary_has_no_synonyms():
    """The same thing under two spellings (api_key / apiKey / apiKeys) is what broke StackReferences."""
    folded = [re.sub(r"[^a-z]", "", n.lower()).removesuffix("s") for n in OUTPUTS]
    assert len(set(folded)) == len(folded)
    assert all(CAMEL.match(n) for n in OUTPUTS)


def test_monitoring_hosts_export_the_grafana_password(plan_stack):
    for stack in ("dev", "prod", "local"):
        assert isinstance(plan_stack(stack).outputs["grafanaAdminPassword"], Secret), stack
