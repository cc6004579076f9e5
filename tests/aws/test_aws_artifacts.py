"""Rendered ECS task definitions and the Lambda function meet AWS's own API model
(botocore's service definitions) and a real implementation of the API (moto server)."""

from __future__ import annotations

import json

import pytest

from infra.components.aws.common import assume_role_policy
from infra.render.aws import ecs as ecs_render
from tests.aws.helpers import moto_client, props, validate_request


def test_render_writes_one_task_definition_per_service_and_schedule(fargate):
    assert sorted(p for p in fargate.artifacts if p.startswith("ecs/")) == [
        "ecs/api.json",
        "ecs/cleanup.json",
        "ecs/documents.json",
        "ecs/schedule-cleanup.json",
    ]


@pytest.mark.parametrize("name", ["api", "documents", "cleanup", "schedule-cleanup"])
def test_task_definitions_register_with_ecs(fargate, s3_server, name):
    request = json.loads(fargate.artifacts[f"ecs/{name}.json"])
    validate_request("ecs", "RegisterTaskDefinition", request)
    ecs = moto_client("ecs", s3_server.endpoint)
    registered = ecs.register_task_definition(**request)["taskDefinition"]
    assert registered["family"] == f"aws-{name}" and registered["requiresCompatibilities"] == ["FARGATE"]
    # The planned resource carries exactly the rendered containers.
    planned = json.loads(props(fargate.one("TaskDefinition", f"aws-{name}"))["containerDefinitions"])
    assert planned == request["containerDefinitions"]


def test_lambda_function_is_accepted_by_the_lambda_api(serverless, s3_server):
    request = json.loads(serverless.artifacts["lambda/api.json"])
    validate_request("lambda", "CreateFunction", request)
    iam = moto_client("iam", s3_server.endpoint)
    role = request["Role"].rsplit("/", 1)[1]
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=assume_role_policy("lambda.amazonaws.com"))
    created = moto_client("lambda", s3_server.endpoint).create_function(**request)
    assert created["PackageType"] == "Image" and created["Environment"]["Variables"]["INLINE_JOBS"] == "true"


@pytest.mark.parametrize(
    "stack, policy", [("aws", "aws-execution"), ("aws", "aws-task"), ("serverless", "serverless-api")]
)
def test_iam_policy_documents_are_valid(plan_stack, s3_server, stack, policy):
    """moto applies IAM's policy grammar checks (versions, action and ARN formats)."""
    document = props(plan_stack(stack).one("RolePolicy", policy))["policy"]
    iam = moto_client("iam", s3_server.endpoint)
    role = f"validate-{policy}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=assume_role_policy("ecs-tasks.amazonaws.com"))
    iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=document)
    returned = iam.get_role_policy(RoleName=role, PolicyName="inline")["PolicyDocument"]
    assert (json.loads(returned) if isinstance(returned, str) else returned) == json.loads(document)


def test_iam_validator_rejects_a_malformed_document(s3_server):
    iam = moto_client("iam", s3_server.endpoint)
    iam.create_role(RoleName="validate-bad", AssumeRolePolicyDocument=assume_role_policy("ecs-tasks.amazonaws.com"))
    bad = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3GetObject", "Resource": "*"}]}
    )
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException):
        iam.put_role_policy(RoleName="validate-bad", PolicyName="inline", PolicyDocument=bad)


def _container(**overrides) -> ecs_render.Container:
    base = dict(
        name="api",
        image="example.invalid/app@sha256:" + "0" * 64,
        command=("api",),
        log=ecs_render.LogConfig("/ecs/x/api", "us-east-1", "api"),
    )
    return ecs_render.Container(**{**base, **overrides})


@pytest.mark.parametrize("name", ["DATABASE_URL", "REDIS_URL", "API_KEYS", "SECRET_KEY", "OPENAI_API_KEY"])
def test_renderer_refuses_secrets_in_environment(name):
    with pytest.raises(ValueError, match=f"{name} must be passed as secrets"):
        _container(environment={name: "value"})


def test_renderer_refuses_unknown_dependencies():
    with pytest.raises(ValueError, match="depends on unknown container"):
        ecs_render.container_definitions_json([_container(depends_on_success=("migrate",))])
