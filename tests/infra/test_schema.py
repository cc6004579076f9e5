"""Pulumi.yaml, the stack-file JSON Schema and docs/config.md all come from the settings model;
the schema refuses what the loader refuses (or this file says why it cannot)."""

from __future__ import annotations

import functools
import json
import re
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from infra.settings import load_settings
from infra.tooling import schema
from infra.tooling.plan.stackfile import load_stack_config
from infra.tooling.stack_schema import CRON
from tests.infra.test_config_errors import BAD_CONFIGS

ROOT = Path(__file__).resolve().parents[2]


def test_generated_files_are_current():
    assert schema.stale_files() == [], "run: python -m infra schema --write"


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
    defaults = load_settings(
        {
            f"ai-service:{k}": json.dumps(v)
            if isinstance(v, list)
            else str(v).lower()
            if isinstance(v, bool)
            else str(v)
            for k, v in ((k, d["default"]) for k, d in declared.items())
        }
    )
    assert defaults == load_settings({})


def test_config_page_lists_every_key():
    page = (ROOT / "docs" / "config.md").read_text()
    for key in ("ai-service:workers", "ai-service:openaiApiKey", "ai-service:sshAllowedCidrs"):
        assert f"`{key}`" in page


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    document = json.loads((ROOT / "schema/stack-config.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document)


# Bad configs the loader refuses and JSON Schema cannot express, with the reason.
SCHEMA_CANNOT = {
    ("ai-service:sshAllowedCidrs[0]", "host bits"): "host bits set below the prefix need arithmetic on the address",
    ("ai-service:workers", "unique: a"): "uniqueItems compares whole items, not one property (name)",
    ("ai-service:schedules", "unique: a"): "uniqueItems compares whole items, not one property (name)",
    ("ai-service:env.ACCESSORY_GW_URL", "set by the stack from ai-service:accessories"): (
        "a map key compared with names built from another key's values"
    ),
}


@pytest.mark.parametrize(("body", "key", "words"), BAD_CONFIGS, ids=[c[1] + ":" + c[2][:20] for c in BAD_CONFIGS])
def test_the_schema_refuses_what_the_loader_refuses(body, key, words):
    document = yaml.safe_load("config:\n" + textwrap.indent(body, "  "))
    valid = _validator().is_valid(document)
    assert valid == ((key, words) in SCHEMA_CANNOT), SCHEMA_CANNOT.get((key, words), "the schema should refuse this")


@pytest.mark.parametrize(
    "config",
    [
        {"pulumi:tags": {"team": "platform"}, "aws:region": "eu-west-1", "digitalocean:token": {"secure": "v1:x"}},
        {"ai-service:openaiApiKey": {"secure": "v1:abc"}, "ai-service:apiKeys": {"secure": "AAABAx"}},
        {
            "ai-service:apiReplicas": "3",
            "ai-service:monitoring": "false",
            "ai-service:workers": [{"name": "a", "queues": ["q"], "replicas": "2"}],
        },
        {
            "ai-service:database": {"url": {"secure": "v1:x"}},
            "ai-service:redis": {"url": "redis://cache.internal:6379/0"},
        },
        {
            "ai-service:accessories": [
                {"name": "gw", "image": "acme/gw:1", "secretEnv": {"GW_TOKEN": {"secure": "v1:x"}}}
            ]
        },
        {"ai-service:schedules": [{"name": "n", "cron": "30 3 * * 0", "command": ["reindex", "--inline"]}]},
        {
            "ai-service:env": {"DEFAULT_MODEL": "claude-sonnet-4-5", "TESSDATA_PREFIX": "/usr/share/tesseract-ocr"},
            "ai-service:secretEnv": {"ANTHROPIC_API_KEY": {"secure": "v1:x"}, "SENTRY_DSN": {"secure": "v1:y"}},
            "ai-service:port": "8080",
            "ai-service:requestTimeoutS": 300,
            "ai-service:health": {"liveness": "/healthz", "readiness": "/readyz"},
            "ai-service:commands": {
                "api": ["uvicorn", "bot.main:app", "--host", "0.0.0.0", "--port", "8080"],
                "worker": ["rq", "worker", "--url", "$(REDIS_URL)", "{queues}"],
                "task": ["python", "-m", "bot.tasks"],
            },
            # Another app's scheduled commands are its own: not checked against the reference service's.
            "ai-service:schedules": [{"name": "digest", "cron": "0 8 * * *", "command": ["send-digest"]}],
        },
        {
            "ai-service:target": "kubernetes",
            "ai-service:domain": "api.example.com",
            "ai-service:letsencryptEmail": "ops@example.com",
            "ai-service:kubernetes": {"cluster": {"create": False}, "kubeconfig": {"secure": "v1:x"}},
            "ai-service:database": {"url": {"secure": "v1:y"}},
        },
        {
            # Lambda: the app's env and secrets, a gateway-sized wait, commands only as the defaults.
            "ai-service:target": "lambda",
            "ai-service:env": {"DEFAULT_MODEL": "claude-sonnet-4-5"},
            "ai-service:secretEnv": {"ANTHROPIC_API_KEY": {"secure": "v1:x"}},
            "ai-service:requestTimeoutS": "25",
            "ai-service:commands": {"api": ["ai-service", "api"]},
        },
    ],
    ids=[
        "provider-and-pulumi-namespaces",
        "secure-secrets",
        "scalars-as-strings",
        "byo-urls",
        "secret-env",
        "schedule",
        "own-app",
        "existing-cluster",
        "own-app-lambda",
    ],
)
def test_the_schema_accepts_what_the_loader_accepts(tmp_path, config):
    assert _validator().is_valid({"config": config})
    path = tmp_path / "Pulumi.ok.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    stack = load_stack_config("ok", path)
    load_settings(stack.values, stack.secret_keys)


def test_secrets_must_be_secure_objects_in_the_schema():
    validator = _validator()
    for config in (
        {"ai-service:openaiApiKey": "sk-plain"},
        {"ai-service:database": {"url": "postgresql://app:pw@db/app"}},
        {"ai-service:redis": {"url": "redis://cache:6379/0?password=pw"}},
        {"ai-service:kubernetes": {"kubeconfig": "apiVersion: v1"}},
        {"ai-service:accessories": [{"name": "gw", "image": "acme/gw:1", "secretEnv": {"GW_TOKEN": "plain"}}]},
    ):
        assert not validator.is_valid({"config": config}), config


def test_stack_file_keys_pulumi_writes_are_accepted():
    document = {
        "secretsprovider": "awskms://alias/x",
        "encryptedkey": "AAAB",
        "encryptionsalt": "v1:abc",
        "environment": ["ai-service/prod"],
        "config": {"ai-service:target": "local"},
    }
    assert _validator().is_valid(document)


@pytest.mark.parametrize(
    "cron",
    [
        "0 * * * ?",
        "0 0 L * *",
        "0 0 * * 1#2",
        "0 0 * * MON-FRI",
        "0 0 * jan *",
        "0 0 15W * *",
        "*/5 1-5/2 * * *",
        "1,2,3 */2 1-15 1-12/3 1-5",
        "0 0 * * 5L",
        "0 0 0 * *",
        "0 24 * * *",
        "60 * * * *",
        "0 0 32 * *",
        "0 0 * 13 *",
        "0 0 * * 8",
        "@hourly",
        "0 0 * *",
    ],
)
def test_the_cron_pattern_agrees_with_the_loader(cron):
    from croniter import croniter

    loader = len(cron.split()) == 5 and croniter.is_valid(cron)
    assert bool(re.match(CRON, cron)) == loader
