"""Bring your own Postgres / Redis on fargate and lambda: `database.url` / `redis.url` replace
RDS / ElastiCache. Nothing is created for them, their cost lines go, and the URLs live in
Secrets Manager only."""

from __future__ import annotations

import json

import pytest

from infra.tooling.plan.report import json_report, text_report
from infra.tooling.values import Secret
from tests.aws.helpers import containers, props, sg_id

DB_URL = "postgresql://app:SENTINEL-db-pass-90f1@db.example.invalid:5432/app?sslmode=require"
REDIS_URL = "rediss://:SENTINEL-redis-pass-4b7c@redis.example.invalid:6379/0"
SENTINELS = ("SENTINEL-db-pass-90f1", "SENTINEL-redis-pass-4b7c")
MANAGED_TYPES = ("aws:rds/instance:Instance", "aws:elasticache/replicationGroup:ReplicationGroup")
STACKS = ["aws", "serverless"]


def _byo(plan_stack, stack):
    return plan_stack(stack, database=Secret({"url": DB_URL}), redis=Secret({"url": REDIS_URL}))


@pytest.mark.parametrize("stack", STACKS)
def test_no_managed_database_or_cache_is_created(plan_stack, stack):
    result = _byo(plan_stack, stack)
    assert result.problems == [] and result.violations == []  # policies still hold for what is created
    for gone in ("rds/", "elasticache/"):
        assert result.find(gone) == []
    names = {r.name for r in result.resources}
    for store in ("db", "cache"):
        assert f"{stack}-{store}" not in names  # security group
        assert f"{stack}-{store}-from-workload" not in names  # its ingress rule
    assert not [p for p in result.find("RandomPassword") if p.name in (f"{stack}-db", f"{stack}-cache")]
    assert not [
        r
        for r in result.find("SecurityGroupIngressRule")
        if props(r)["securityGroupId"] in (sg_id(f"{stack}-db"), sg_id(f"{stack}-cache"))
    ]
    # The managed variant has them: the assertions above can fail.
    managed = plan_stack(stack)
    assert {r.type for r in managed.resources} >= set(MANAGED_TYPES)


@pytest.mark.parametrize("stack", STACKS)
def test_cost_drops_by_exactly_the_managed_lines(plan_stack, stack):
    managed, byo = plan_stack(stack), _byo(plan_stack, stack)
    removed = [i for i in managed.cost.items if i.type in MANAGED_TYPES]
    assert removed and sorted(managed.cost.items, key=repr) == sorted([*byo.cost.items, *removed], key=repr)
    assert managed.cost.monthly_usd - byo.cost.monthly_usd == pytest.approx(
        sum(i.monthly_usd for i in removed), abs=0.011
    )


@pytest.mark.parametrize("stack", STACKS)
def test_urls_go_to_secrets_manager_only(plan_stack, stack, tmp_path):
    from infra.tooling.plan.render import write_artifacts

    result = _byo(plan_stack, stack)
    version = result.one("secretsmanager/secretVersion:SecretVersion", stack).inputs["secretString"]
    document = json.loads(version.value)
    assert (document["DATABASE_URL"], document["REDIS_URL"]) == (DB_URL, REDIS_URL)
    assert "MIGRATE_DATABASE_URL" not in document
    migrate = json.loads(
        result.one("secretsmanager/secretVersion:SecretVersion", f"{stack}-migrate").inputs["secretString"].value
    )
    assert migrate == {"DATABASE_URL": DB_URL, "MIGRATE_DATABASE_URL": DB_URL}  # no database.migrateUrl: the same URL
    report = json_report(result) + text_report(result)
    written = write_artifacts(result, tmp_path)
    for sentinel in SENTINELS:
        assert sentinel not in report
        assert [p for p in written if sentinel in p.read_text()] == []


def test_fargate_containers_get_the_urls_by_reference(plan_stack):
    result = _byo(plan_stack, "aws")
    arn = result.one("secretsmanager/secret:Secret", "aws").outputs["arn"]
    for family, name in (("api", "api"), ("documents", "worker"), ("schedule-cleanup", "job")):
        c = containers(result, family)[name]
        refs = {s["name"]: s["valueFrom"] for s in c["secrets"]}
        assert refs["DATABASE_URL"] == f"{arn}:DATABASE_URL::" and refs["REDIS_URL"] == f"{arn}:REDIS_URL::"
        assert not {"DATABASE_URL", "REDIS_URL"} & {e["name"] for e in c["environment"]}


def test_lambda_environment_holds_only_the_secret_arn(plan_stack):
    result = _byo(plan_stack, "serverless")
    variables = props(result.one("lambda/function:Function", "serverless-api"))["environment"]["variables"]
    assert not {"DATABASE_URL", "REDIS_URL"} & set(variables)
    assert variables["SECRETS_ARN"] == result.one("secretsmanager/secret:Secret", "serverless").outputs["arn"]
