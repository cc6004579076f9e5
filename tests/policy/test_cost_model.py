"""The cost model prices resources from their own inputs and names what it cannot price."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from infra.settings import ConfigError, load_settings
from infra.settings.droplets import DROPLET_SIZES
from infra.tooling.cost import estimate
from infra.tooling.plan.plan import plan_config
from infra.tooling.plan.report import text_report
from infra.tooling.plan.runner import run_program
from infra.tooling.plan.stackfile import StackConfig

CONFIG = StackConfig("corpus", "cost", {"aws:region": "us-east-1"}, [])


def _cost(program):
    return estimate(run_program(program, CONFIG).resources)


def _item(cost, resource: str) -> float:
    return round(sum(i.monthly_usd for i in cost.items if i.resource == resource), 2)


def test_ecs_service_is_priced_from_any_task_definition():
    """A task definition nobody tagged: 2 tasks × 1 vCPU / 2 GB Fargate."""

    def program():
        task = aws.ecs.TaskDefinition(
            "web",
            family="web",
            cpu="1024",
            memory="2048",
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            container_definitions=json.dumps([{"name": "web", "image": "x:1"}]),
        )
        aws.ecs.Service("web", task_definition=task.arn, desired_count=2, launch_type="FARGATE")

    cost = _cost(program)
    assert _item(cost, "web") == round(2 * 730 * (1 * 0.04048 + 2 * 0.004445), 2)  # $72.08
    assert cost.unpriced == ()


def test_nlb_is_not_priced_as_an_alb():
    def program():
        aws.lb.LoadBalancer("nlb", load_balancer_type="network", internal=True, subnets=["a"])
        aws.lb.LoadBalancer("alb", load_balancer_type="application", internal=True, subnets=["a"])

    cost = _cost(program)
    assert _item(cost, "nlb") == round(730 * (0.0225 + 0.006), 2)
    assert _item(cost, "alb") == round(730 * (0.0225 + 0.008), 2)


@pytest.mark.parametrize("klass, hourly", [("db.t3.micro", 0.018), ("db.m6g.large", 0.159), ("db.r6g.large", 0.225)])
def test_common_rds_classes_have_a_price(klass, hourly):
    cost = _cost(lambda: aws.rds.Instance("db", engine="postgres", instance_class=klass, allocated_storage=20))
    assert _item(cost, "db") == round(hourly * 730 + 20 * 0.115, 2)


def test_unknown_types_and_classes_are_named_in_the_plan(monkeypatch):
    def program():
        aws.rds.Instance("db", engine="postgres", instance_class="db.x2iedn.32xlarge", allocated_storage=20)
        aws.kinesis.Stream("events", shard_count=1)

    monkeypatch.setattr("stacks.program.run", program)
    result = plan_config(CONFIG, load_settings({}))
    assert result.cost.unpriced == (  # sorted, whatever order the two registered in
        "aws:kinesis/stream:Stream",
        "aws:rds/instance:Instance (instance class db.x2iedn.32xlarge)",
    )
    report = text_report(result)
    assert "  unpriced: aws:kinesis/stream:Stream" in report.splitlines()
    assert "  unpriced: aws:rds/instance:Instance (instance class db.x2iedn.32xlarge)" in report.splitlines()


def test_api_gateway_rest_and_http_apis_have_prices():
    def program():
        aws.apigateway.RestApi("rest")
        aws.apigatewayv2.Api("http", protocol_type="HTTP")

    cost = _cost(program)
    assert (_item(cost, "rest"), _item(cost, "http")) == (3.5, 1.0)


def test_droplet_size_outside_the_table_names_the_key_and_lists_sizes():
    with pytest.raises(ConfigError) as error:
        load_settings({"ai-service:target": "droplet", "ai-service:droplet": json.dumps({"size": "s-3vcpu-9gb"})})
    line = next(p for p in error.value.problems if "droplet.size" in p)
    assert line.startswith("ai-service:droplet.size: unknown droplet size 's-3vcpu-9gb'; one of: ")
    assert all(size in line for size in DROPLET_SIZES) and "\n" not in line


def test_secret_marked_values_are_not_plaintext_env():
    """An SSM SecureString parameter whose value is a Pulumi secret is a secret store, not a leak."""

    def program():
        aws.ssm.Parameter("pw", name="/app/DB_PASSWORD", type="SecureString", value=pulumi.Output.secret("x"))

    from infra.tooling.policy.engine import evaluate

    assert evaluate(run_program(program, CONFIG).resources, waivers=()) == []
