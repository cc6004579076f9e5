"""The AWS policy rules catch what they promise (each rule fed a resource that breaks it)."""

from __future__ import annotations

import json

import pytest

from infra.tooling.policy.aws import AWS_RULES
from infra.tooling.policy.engine import evaluate
from infra.tooling.resources import PlannedResource


def _resource(type_: str, name: str, protect: bool = False, **inputs) -> PlannedResource:
    return PlannedResource(
        type=type_, name=name, urn=f"urn:{name}", parent="", custom=True, protect=protect, inputs=inputs
    )


UPTIME = PlannedResource(
    type="aws:route53/healthCheck:HealthCheck",
    name="uptime",
    urn="urn:uptime",
    parent="",
    custom=True,
    protect=False,
    inputs={"type": "HTTPS"},
)


def _policies(*resources: PlannedResource, uptime: bool = True) -> set[str]:
    """Policies violated by `resources` (with a health check present unless `uptime` is false)."""
    return {v.policy for v in evaluate([*resources, *([UPTIME] if uptime else [])], AWS_RULES)}


ALB = _resource("aws:lb/loadBalancer:LoadBalancer", "alb", securityGroups=["sg-alb"])


@pytest.mark.parametrize(
    "rule, expected",
    [
        (
            {"securityGroupId": "sg-alb", "cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
            set(),
        ),
        (
            {"securityGroupId": "sg-alb", "cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22},
            {"aws-only-alb-faces-internet"},
        ),
        (
            {
                "securityGroupId": "sg-tasks",
                "cidrIpv4": "0.0.0.0/0",
                "ipProtocol": "tcp",
                "fromPort": 443,
                "toPort": 443,
            },
            {"aws-only-alb-faces-internet"},
        ),
        ({"securityGroupId": "sg-alb", "cidrIpv6": "::/0", "ipProtocol": "-1"}, {"aws-only-alb-faces-internet"}),
        (
            {
                "securityGroupId": "sg-db",
                "referencedSecurityGroupId": "sg-tasks",
                "ipProtocol": "tcp",
                "fromPort": 5432,
                "toPort": 5432,
            },
            set(),
        ),
    ],
)
def test_only_the_alb_may_face_the_internet(rule, expected):
    assert (
        _policies(ALB, _resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "r", **rule)) == expected
    )


def test_inline_world_ingress_is_caught():
    group = _resource(
        "aws:ec2/securityGroup:SecurityGroup",
        "g",
        ingress=[{"cidrBlocks": ["0.0.0.0/0"], "protocol": "tcp", "fromPort": 5432, "toPort": 5432}],
    )
    assert _policies(ALB, group) == {"aws-only-alb-faces-internet"}


GOOD_DB = {
    "publiclyAccessible": False,
    "storageEncrypted": True,
    "backupRetentionPeriod": 7,
    "deletionProtection": True,
}


@pytest.mark.parametrize(
    "change, rule",
    [
        ({"publiclyAccessible": True}, "aws-rds-private-encrypted"),
        ({"storageEncrypted": False}, "aws-rds-private-encrypted"),
        ({"backupRetentionPeriod": 0}, "aws-rds-private-encrypted"),
        ({"deletionProtection": False}, "aws-rds-private-encrypted"),
        (
            {"backupRetentionPeriod": 1},
            "aws-rds-backup-retention",
        ),  # advisory: a short window is practice, none is data loss
    ],
)
def test_database_floor(change, rule):
    assert _policies(_resource("aws:rds/instance:Instance", "db", protect=True, **GOOD_DB)) == set()
    assert _policies(_resource("aws:rds/instance:Instance", "db", protect=True, **{**GOOD_DB, **change})) == {rule}


def test_cache_needs_tls_and_auth():
    good = {"transitEncryptionEnabled": True, "atRestEncryptionEnabled": True, "authToken": "x"}
    assert _policies(_resource("aws:elasticache/replicationGroup:ReplicationGroup", "c", **good)) == set()
    bad = {**good, "authToken": None, "transitEncryptionEnabled": False}
    assert _policies(_resource("aws:elasticache/replicationGroup:ReplicationGroup", "c", **bad)) == {
        "aws-cache-encrypted-auth"
    }


def test_bucket_without_guards_is_caught():
    bucket = _resource("aws:s3/bucket:Bucket", "b")
    found = sorted((v.policy, v.level.value, v.message) for v in evaluate([bucket], AWS_RULES))
    assert found == [
        ("aws-bucket-not-public", "mandatory", "is missing a public access block"),
        ("aws-bucket-practice", "advisory", "is missing a lifecycle configuration"),
        ("aws-bucket-practice", "advisory", "is missing default encryption"),
        ("aws-bucket-practice", "advisory", "is missing versioning"),
    ]


@pytest.mark.parametrize(
    "statement, flagged",
    [
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}, True),
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, True),
        ({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}, True),
        ({"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"}, False),
        ({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"}, False),
    ],
)
def test_iam_least_privilege(statement, flagged):
    policy = _resource(
        "aws:iam/rolePolicy:RolePolicy", "p", policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )
    assert (_policies(policy) == {"aws-iam-least-privilege"}) is flagged


def _task(**container) -> PlannedResource:
    base = {
        "name": "api",
        "user": "10001:10001",
        "essential": True,
        "environment": [],
        "secrets": [],
        "logConfiguration": {"logDriver": "awslogs"},
        "healthCheck": {"command": ["CMD", "true"]},
    }
    return _resource(
        "aws:ecs/taskDefinition:TaskDefinition", "t", containerDefinitions=json.dumps([{**base, **container}])
    )


@pytest.mark.parametrize(
    "change, rule",
    [
        ({"environment": [{"name": "DATABASE_URL", "value": "postgresql://u:p@h/d"}]}, "aws-ecs-task-hardening"),
        ({"user": None}, "aws-ecs-task-hardening"),
        ({"user": "0:0"}, "aws-ecs-task-hardening"),
        ({"logConfiguration": {}}, "aws-ecs-task-practice"),
        ({"healthCheck": None}, "aws-ecs-task-practice"),
    ],
)
def test_task_definition_hardening(change, rule):
    assert _policies(_task()) == set()
    container = {k: v for k, v in change.items() if v is not None}
    removed = [k for k, v in change.items() if v is None]
    task = _task(**container)
    if removed:
        definitions = json.loads(task.inputs["containerDefinitions"])
        for key in removed:
            definitions[0].pop(key)
        task.inputs["containerDefinitions"] = json.dumps(definitions)
    assert _policies(task) == {rule}


def test_service_without_rollback_is_caught():
    service = _resource("aws:ecs/service:Service", "s", deploymentCircuitBreaker={"enable": True, "rollback": False})
    assert _policies(service) == {"aws-ecs-rollback"}


def test_lambda_secret_env_is_caught():
    fn = _resource(
        "aws:lambda/function:Function", "f", environment={"variables": {"SECRETS_ARN": "arn:x", "API_KEYS": "t:k"}}
    )
    assert [v.message for v in evaluate([fn], AWS_RULES)] == [
        "API_KEYS is a plaintext environment variable; read it from Secrets Manager"
    ]


def test_log_groups_must_expire():
    assert _policies(_resource("aws:cloudwatch/logGroup:LogGroup", "l")) == {"aws-log-retention"}


@pytest.mark.parametrize("port, flagged", [(443, False), (5432, True)])
def test_unknown_ids_during_preview_still_judge_ports(port, flagged):
    """In a real preview the groups' ids are not known yet: the port check must still hold."""
    alb = _resource("aws:lb/loadBalancer:LoadBalancer", "alb", securityGroups=[None])
    rule = _resource(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "r",
        securityGroupId=None,
        cidrIpv4="0.0.0.0/0",
        ipProtocol="tcp",
        fromPort=port,
        toPort=port,
    )
    assert (_policies(alb, rule) == {"aws-only-alb-faces-internet"}) is flagged


def test_public_endpoint_needs_an_uptime_check_advisory():
    api = _resource("aws:apigatewayv2/api:Api", "api", protocolType="HTTP")
    assert _policies(api, uptime=False) == {"aws-uptime-check"}
    assert _policies(api) == set()


@pytest.mark.parametrize("role, flagged", [(None, True), ("service", True), ("job", False), ("accessory", False)])
def test_only_one_shot_jobs_and_accessories_may_skip_the_health_check(role, flagged):
    """A job's health is its exit code; an accessory's image has no known probe command (the ALB probes public ones)."""
    task = _task()
    definitions = json.loads(task.inputs["containerDefinitions"])
    definitions[0].pop("healthCheck")
    task.inputs["containerDefinitions"] = json.dumps(definitions)
    if role:
        task.inputs["tags"] = {"ai-service:role": role}
    assert (_policies(task) == {"aws-ecs-task-practice"}) is flagged


def test_unprobed_tasks_still_get_secrets_only_by_reference():
    task = _task(environment=[{"name": "GATEWAY_TOKEN", "value": "t"}])
    task.inputs["tags"] = {"ai-service:role": "accessory"}
    assert _policies(task) == {"aws-ecs-task-hardening"}
