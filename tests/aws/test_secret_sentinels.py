"""Secret config values reach Secrets Manager and nothing else: not the plan JSON, not a
rendered file, not a container environment; written in plain text they are refused."""

from __future__ import annotations

import json

import yaml

from infra.tooling.values import Secret
from tests.aws.helpers import props
from tests.fixtures.plan import run_cli, stack_file

OPENAI = "sk-SENTINEL-openai-7f3a9c"
API_KEYS = "tenant:SENTINEL-apikey-51d2"
REDIS = "rediss://:SENTINEL-redis-88e1@cache.example.invalid:6379/0"
SENTINELS = (OPENAI, "SENTINEL-apikey-51d2", "SENTINEL-redis-88e1")


def _stack_file_with_plain_secrets(tmp_path, stack: str):
    document = yaml.safe_load(stack_file(stack).read_text())
    # Plain (not `secure:`) values, as after a careless `pulumi config set` without --secret.
    document["config"].update(
        {"ai-service:openaiApiKey": OPENAI, "ai-service:apiKeys": API_KEYS, "ai-service:redis": {"url": REDIS}}
    )
    config_file = tmp_path / f"Pulumi.{stack}.yaml"
    config_file.write_text(yaml.safe_dump(document))
    return config_file


def _assert_no_sentinel(output: str, render) -> None:
    rendered = {p.relative_to(render).as_posix(): p.read_text() for p in render.rglob("*") if p.is_file()}
    assert rendered, "the plan rendered no files"
    for sentinel in SENTINELS:
        assert sentinel not in output
        assert [p for p, text in rendered.items() if sentinel in text] == []


def test_plain_secrets_are_refused_without_echoing_them(tmp_path):
    """The whole user path once, in a fresh interpreter: `python -m infra plan aws --json --render DIR`."""
    render = tmp_path / "render"
    done = run_cli(
        "plan",
        "aws",
        "--config-file",
        str(_stack_file_with_plain_secrets(tmp_path, "aws")),
        "--json",
        "--render",
        str(render),
    )
    assert done.returncode == 2 and done.stdout == "" and not render.exists()
    lines = done.stderr.strip().splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        "ai-service:openaiApiKey",
        "ai-service:apiKeys",
        "ai-service:redis.url",
    ]
    assert "pulumi config set --secret --path ai-service:redis.url '<value>'" in lines[2]
    for sentinel in SENTINELS:
        assert sentinel not in done.stderr


def test_sentinels_never_reach_the_serverless_report_or_lambda_json(tmp_path):
    from infra.tooling.plan.render import write_artifacts
    from infra.tooling.plan.report import json_report, text_report
    from tests.fixtures.plan import plan_with

    result = plan_with(
        "serverless", openaiApiKey=Secret(OPENAI), apiKeys=Secret(API_KEYS), redis=Secret({"url": REDIS})
    )
    assert result.problems == []
    render = tmp_path / "render"
    write_artifacts(result, render)
    assert (render / "lambda" / "api.json").exists()
    _assert_no_sentinel(json_report(result) + text_report(result), render)


def test_sentinels_do_reach_the_runtime_secret(plan_stack):
    result = plan_stack("aws", openaiApiKey=Secret(OPENAI), apiKeys=Secret(API_KEYS), redis=Secret({"url": REDIS}))
    version = result.one("secretsmanager/secretVersion:SecretVersion", "aws").inputs["secretString"]
    assert isinstance(version, Secret)
    document = json.loads(version.value)
    assert (document["OPENAI_API_KEY"], document["API_KEYS"], document["REDIS_URL"]) == (OPENAI, API_KEYS, REDIS)
    assert result.find("ReplicationGroup") == []  # bring-your-own Redis: nothing provisioned
    containers = json.loads(props(result.one("TaskDefinition", "aws-api"))["containerDefinitions"])
    assert "OPENAI_API_KEY" in {s["name"] for c in containers for s in c["secrets"]}
