"""Scheduled jobs on AWS: EventBridge Scheduler starting a Fargate task (fargate) or invoking
the function (lambda), each with a role that can start exactly that target."""

from __future__ import annotations

import json

import pytest

from infra.components.aws.common import assume_role_policy
from infra.settings import ConfigError
from infra.settings.schedules import eventbridge_expression
from infra.tooling.cost.aws import runs_per_month
from infra.tooling.policy.aws import UNSCOPABLE_ACTIONS
from tests.aws.helpers import containers, moto_client, props, statements
from tests.fixtures.plan import plan_with, stack_file

SCHEDULES = [
    {"name": "cleanup", "cron": "*/15 * * * *", "command": ["enqueue-cleanup"]},
    {"name": "weekly", "cron": "0 4 * * 0", "command": ["enqueue-cleanup"]},
]


@pytest.mark.parametrize(
    "cron, expression, runs",
    [
        ("0 * * * *", "cron(0 * * * ? *)", 730),
        ("*/15 * * * *", "cron(0/15 * * * ? *)", 2920),
        ("30 3 * * 1-5", "cron(30 3 ? * MON-FRI *)", 21.75),
        ("0 4 * * 0", "cron(0 4 ? * SUN *)", 52 / 12),
        ("0 0 1 */3 *", "cron(0 0 1 1/3 ? *)", 4 / 12),
    ],
)
def test_cron_becomes_an_eventbridge_expression_and_a_run_count(cron, expression, runs):
    assert eventbridge_expression(cron) == expression
    assert runs_per_month(expression) == pytest.approx(runs)


def _scoped(policy: list[dict]) -> None:
    for s in policy:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        assert not [a for a in actions if a == "*" or a.endswith(":*")]
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        assert "*" not in resources or set(actions) <= UNSCOPABLE_ACTIONS


@pytest.mark.parametrize("stack", ["aws", "serverless"])
def test_default_cleanup_schedule_runs_hourly_in_utc_with_bounded_retries(plan_stack, stack):
    result = plan_stack(stack)
    assert result.problems == [] and result.violations == []
    schedule = props(result.one("scheduler/schedule:Schedule"))
    assert (schedule["name"], schedule["scheduleExpression"], schedule["scheduleExpressionTimezone"]) == (
        f"{stack}-schedule-cleanup",
        "cron(0 * * * ? *)",
        "UTC",
    )
    assert schedule["flexibleTimeWindow"] == {"mode": "OFF"}
    target = schedule["target"]
    assert target["retryPolicy"] == {"maximumRetryAttempts": 2, "maximumEventAgeInSeconds": 900}
    queue = result.one("sqs/queue:Queue")
    assert target["deadLetterConfig"] == {"arn": queue.outputs["arn"]} and props(queue)["sqsManagedSseEnabled"] is True
    alarm = props(result.one("MetricAlarm", f"{stack}-schedule-failures"))
    assert alarm["namespace"] == "AWS/SQS" and alarm["dimensions"] == {"QueueName": queue.outputs["name"]}
    role = props(result.one("iam/role:Role", f"{stack}-schedule-cleanup"))
    assert json.loads(role["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert target["roleArn"] == result.one("iam/role:Role", f"{stack}-schedule-cleanup").outputs["arn"]
    _scoped(statements(result, f"{stack}-schedule-cleanup"))


def test_fargate_schedule_runs_the_service_image_with_the_command(fargate):
    target = props(fargate.one("scheduler/schedule:Schedule"))["target"]
    assert target["arn"] == fargate.one("ecs/cluster:Cluster").outputs["arn"]
    ecs = target["ecsParameters"]
    job_task = fargate.one("TaskDefinition", "aws-schedule-cleanup")
    assert (ecs["taskDefinitionArn"], ecs["launchType"], ecs["taskCount"]) == (job_task.outputs["arn"], "FARGATE", 1)
    worker = props(fargate.one("ecs/service:Service", "aws-documents"))["networkConfiguration"]
    assert ecs["networkConfiguration"] == worker  # the workers' subnets and security group
    job = containers(fargate, "schedule-cleanup")["job"]
    api = containers(fargate, "api")["api"]
    assert job["command"] == ["enqueue-cleanup"] and job["image"] == api["image"]
    assert job["secrets"] == containers(fargate, "documents")["worker"]["secrets"]  # valueFrom, never environment
    assert {e["name"] for e in job["environment"]} == {e["name"] for e in api["environment"]} - {"PORT"}
    assert props(job_task)["tags"]["ai-service:role"] == "job"
    assert (props(job_task)["cpu"], props(job_task)["memory"]) == ("256", "512")


def test_fargate_scheduler_role_may_run_only_that_family_and_pass_only_its_roles(fargate):
    by_sid = {s["Sid"]: s for s in statements(fargate, "aws-schedule-cleanup")}
    assert set(by_sid) == {"RunTask", "TagTask", "PassTaskRoles", "DeadLetter"}
    cluster = fargate.one("ecs/cluster:Cluster").outputs["arn"]
    assert by_sid["RunTask"]["Action"] == ["ecs:RunTask"]
    assert by_sid["RunTask"]["Resource"] == "arn:aws:ecs:us-east-1:123456789012:task-definition/aws-schedule-cleanup:*"
    assert by_sid["RunTask"]["Condition"] == {"ArnEquals": {"ecs:cluster": cluster}}
    roles = [fargate.one("iam/role:Role", f"aws-{r}").outputs["arn"] for r in ("execution", "task")]
    assert by_sid["PassTaskRoles"]["Action"] == ["iam:PassRole"] and by_sid["PassTaskRoles"]["Resource"] == roles
    assert by_sid["TagTask"]["Resource"] == "arn:aws:ecs:us-east-1:123456789012:task/aws/*"
    assert by_sid["DeadLetter"]["Resource"] == fargate.one("sqs/queue:Queue").outputs["arn"]


def test_lambda_schedule_invokes_the_function_with_the_command(serverless):
    target = props(serverless.one("scheduler/schedule:Schedule"))["target"]
    function = serverless.one("lambda/function:Function", "serverless-api")
    assert target["arn"] == function.outputs["arn"] and "ecsParameters" not in target
    assert json.loads(target["input"]) == {"schedule": "cleanup", "command": ["enqueue-cleanup"]}
    by_sid = {s["Sid"]: s for s in statements(serverless, "serverless-schedule-cleanup")}
    assert set(by_sid) == {"InvokeFunction", "DeadLetter"}
    assert (by_sid["InvokeFunction"]["Action"], by_sid["InvokeFunction"]["Resource"]) == (
        ["lambda:InvokeFunction"],
        function.outputs["arn"],
    )
    # The handler runs scheduled commands inline (enqueue-cleanup cleans up itself under INLINE_JOBS).
    assert props(function)["environment"]["variables"]["INLINE_JOBS"] == "true"


@pytest.mark.parametrize("stack", ["aws", "serverless"])
def test_schedules_follow_the_settings_list(plan_stack, stack):
    result = plan_stack(stack, schedules=SCHEDULES)
    expressions = {props(s)["name"]: props(s)["scheduleExpression"] for s in result.find("scheduler/schedule:Schedule")}
    assert expressions == {
        f"{stack}-schedule-cleanup": "cron(0/15 * * * ? *)",
        f"{stack}-schedule-weekly": "cron(0 4 ? * SUN *)",
    }
    assert len(result.find("sqs/queue:Queue")) == 1  # one dead-letter queue for all
    none = plan_stack(stack, schedules=[])
    assert (
        none.find("scheduler/") == []
        and none.find("sqs/") == []
        and none.find("TaskDefinition", f"{stack}-schedule-cleanup") == []
    )


@pytest.mark.parametrize("stack", ["aws", "serverless"])
def test_cron_eventbridge_cannot_express_is_a_config_error(stack):
    with pytest.raises(ConfigError, match=r"ai-service:schedules\[0\]\.cron: EventBridge cannot restrict both"):
        plan_with(stack, schedules=[{"name": "odd", "cron": "0 0 1 * 1", "command": ["enqueue-cleanup"]}])


def test_schedule_cost_lines(fargate, serverless):
    schedule = "aws:scheduler/schedule:Schedule"
    lines = {
        i.basis: i.monthly_usd for i in fargate.cost.items if (i.resource, i.type) == ("aws-schedule-cleanup", schedule)
    }
    hours = 730 * 2 / 60
    assert lines == {
        "EventBridge Scheduler: 730 invocation(s)/month, within the 14M/month free tier": 0.0,
        "730 RunTask run(s)/month × 2 min (assumed) × 0.25 vCPU/0.5 GB Fargate": pytest.approx(
            hours * (0.25 * 0.04048 + 0.5 * 0.004445)
        ),
        f"public IPv4 for {hours:.1f} task-hour(s) (tasks in public subnets)": pytest.approx(hours * 0.005),
    }
    lambda_lines = {i.basis: i.monthly_usd for i in serverless.cost.items if i.type == schedule}
    assert lambda_lines["730 invocation(s) × 10 s × 1 GB (assumed)"] == pytest.approx(
        730 * 10 * 0.0000166667 + 730 / 1e6 * 0.2
    )


@pytest.mark.parametrize("stack", ["aws", "serverless"])
def test_scheduler_policy_is_valid_iam(plan_stack, s3_server, stack):
    document = props(plan_stack(stack).one("RolePolicy", f"{stack}-schedule-cleanup"))["policy"]
    iam = moto_client("iam", s3_server.endpoint)
    role = f"validate-{stack}-scheduler"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=assume_role_policy("scheduler.amazonaws.com"))
    iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=document)


def test_lambda_refuses_accessories_with_one_line_and_no_resources(tmp_path):
    import yaml

    from tests.fixtures.plan import run_cli

    document = yaml.safe_load(stack_file("serverless").read_text())
    document["config"]["ai-service:accessories"] = [
        {"name": "gateway", "image": "ghcr.io/example/gw:1.0.0", "port": 3000}
    ]
    config_file = tmp_path / "Pulumi.serverless.yaml"
    config_file.write_text(yaml.safe_dump(document))
    done = run_cli("plan", "serverless", "--config-file", str(config_file), "--json")
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "ai-service:accessories: target lambda runs the API only; accessories need a container host "
        "(droplet, kubernetes, local, fargate or cloudrun)"
    ]
