"""Only the migrate workload holds the database owner's URL on AWS: the ECS migrate container
(fargate) and the migrate function (serverless) read their own secret; every other container,
function and role sees the app role's URL only."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from infra.tooling.values import Secret
from tests.aws.helpers import props, statements, validate_request

OWNER_URL = "postgresql://owner:SENTINEL-owner-3c1d@db.example.invalid:5432/app?sslmode=require"
APP_URL = "postgresql://svc:SENTINEL-app-8b2e@db.example.invalid:5432/app?sslmode=require"


def _document(result, name: str) -> dict[str, str]:
    version = result.one("secretsmanager/secretVersion:SecretVersion", name).inputs["secretString"]
    assert isinstance(version, Secret)
    return json.loads(version.value)


def _user(url: str) -> str:
    return urlsplit(url).username or ""


def _owner_refs(result) -> dict[str, list[str]]:
    """`family/container` -> the secret names it references, for every ECS container that references the owner's URL."""
    found = {}
    for task in result.find("ecs/taskDefinition:TaskDefinition"):
        for c in json.loads(props(task)["containerDefinitions"]):
            names = [s["name"] for s in c.get("secrets", [])] + [e["name"] for e in c.get("environment", [])]
            if "MIGRATE_DATABASE_URL" in names:
                found[f"{task.name}/{c['name']}"] = sorted(names)
    return found


@pytest.mark.parametrize("stack", ["aws", "serverless"])
def test_app_secret_holds_the_app_role_and_the_migrate_secret_the_owner(plan_stack, stack):
    result = plan_stack(stack)
    app, migrate = _document(result, stack), _document(result, f"{stack}-migrate")
    master = props(result.one("rds/instance:Instance"))["username"]
    assert "MIGRATE_DATABASE_URL" not in app
    assert _user(app["DATABASE_URL"]) == "ai_service_app" != master  # the role migrate creates, not the master
    assert migrate == {"DATABASE_URL": app["DATABASE_URL"], "MIGRATE_DATABASE_URL": migrate["MIGRATE_DATABASE_URL"]}
    assert _user(migrate["MIGRATE_DATABASE_URL"]) == master
    # Two passwords: the app role's is not the master's.
    assert urlsplit(app["DATABASE_URL"]).password != urlsplit(migrate["MIGRATE_DATABASE_URL"]).password


def test_fargate_only_the_migrate_container_references_the_owner_url(plan_stack):
    result = plan_stack("aws")
    assert result.find("TaskDefinition", "aws-schedule-cleanup")  # jobs and workers are among the checked tasks
    assert list(_owner_refs(result)) == ["aws-api/migrate"]
    migrate_arn = result.one("secretsmanager/secret:Secret", "aws-migrate").outputs["arn"]
    for task in result.find("ecs/taskDefinition:TaskDefinition"):
        for c in json.loads(props(task)["containerDefinitions"]):
            refs = {s["name"]: s["valueFrom"] for s in c.get("secrets", [])}
            from_migrate = sorted(n for n, ref in refs.items() if ref.startswith(migrate_arn))
            expected = (
                ["DATABASE_URL", "MIGRATE_DATABASE_URL"] if (task.name, c["name"]) == ("aws-api", "migrate") else []
            )
            assert from_migrate == expected, (task.name, c["name"])
    # The task role (what a container's code can use) reads no secret at all.
    assert not [s for s in statements(result, "aws-task") if "secretsmanager:GetSecretValue" in s["Action"]]


def test_serverless_migrate_function_runs_before_the_api_and_alone_reads_the_owner_url(plan_stack):
    result = plan_stack("serverless")
    app_arn = result.one("secretsmanager/secret:Secret", "serverless").outputs["arn"]
    migrate_arn = result.one("secretsmanager/secret:Secret", "serverless-migrate").outputs["arn"]
    api_fn = result.one("lambda/function:Function", "serverless-api")
    migrate_fn = result.one("lambda/function:Function", "serverless-migrate")

    assert props(api_fn)["environment"]["variables"]["SECRETS_ARN"] == app_arn
    migrate_env = props(migrate_fn)["environment"]["variables"]
    assert migrate_env["SECRETS_ARN"] == migrate_arn
    assert props(migrate_fn)["imageUri"] == props(api_fn)["imageUri"]  # the same image
    assert props(migrate_fn)["imageConfig"]["commands"] == ["ai_service.lambda_migrate.handler"]
    assert "INLINE_JOBS" not in migrate_env and "S3_BUCKET" not in migrate_env

    def reads(role: str) -> set[str]:
        return {s["Resource"] for s in statements(result, role) if "secretsmanager:GetSecretValue" in s["Action"]}

    assert reads("serverless-api") == {app_arn} and reads("serverless-migrate") == {migrate_arn}
    assert not [s for s in statements(result, "serverless-migrate") if any(a.startswith("s3:") for a in s["Action"])]

    invocation = result.one("lambda/invocation:Invocation", "serverless-migrate")
    assert props(invocation)["functionName"] == migrate_fn.outputs["name"]
    assert props(invocation)["triggers"]["image"] == props(api_fn)["imageUri"]  # once per release
    assert invocation.urn in api_fn.dependencies  # the API changes only after migrations succeeded
    # No route or schedule reaches the migrate function.
    assert not [
        p for p in result.find("lambda/permission:Permission") if props(p)["function"] == migrate_fn.outputs["name"]
    ]
    validate_request("lambda", "CreateFunction", json.loads(result.artifacts["lambda/migrate.json"]))


@pytest.mark.parametrize("stack", ["aws", "serverless"])
def test_bring_your_own_migrate_url_reaches_only_the_migrate_secret(plan_stack, stack):
    result = plan_stack(stack, database=Secret({"url": APP_URL, "migrateUrl": OWNER_URL}))
    assert _document(result, stack)["DATABASE_URL"] == APP_URL
    assert "SENTINEL-owner" not in json.dumps(_document(result, stack))
    assert _document(result, f"{stack}-migrate") == {"DATABASE_URL": APP_URL, "MIGRATE_DATABASE_URL": OWNER_URL}
    assert result.advisories == []
    without = plan_stack(stack, database=Secret({"url": APP_URL}))
    assert [a.split(":")[1] for a in without.advisories] == ["database.migrateUrl"]
