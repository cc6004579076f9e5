"""Alerts reach Slack on AWS: with `alertSlackWebhook` every alarm's topic feeds a forwarder Lambda
that posts to the webhook (read from Secrets Manager), and the SLO burn-rate alarms join the alarms.
Without it nothing of this is planned."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys

import boto3
import pytest

from infra.render.observability.thresholds import AVAILABILITY, prom_duration
from infra.tooling.plan.render import write_artifacts
from infra.tooling.plan.report import json_report, text_report
from infra.tooling.values import Secret
from tests.aws.helpers import props
from tests.functions.test_slack_alerts import ALARM, sns_event
from tests.support.slack import fake_slack

WEBHOOK = "https://hooks.slack.com/services/T0SENTINEL/B0SENTINEL/slack-7c41"
STACKS = ("aws", "serverless")
DEFAULT_FIGURES = {"aws": (96, 196.26), "serverless": (84, 50.77)}


@pytest.fixture(scope="module", params=STACKS)
def slack_plan(request, plan_stack):
    return plan_stack(request.param, alertSlackWebhook=Secret(WEBHOOK))


def _topic_arn(result) -> str:
    [topic] = result.find("sns/topic:Topic")
    return topic.outputs["arn"]


def test_every_alarm_notifies_the_topic_the_forwarder_listens_to(slack_plan):
    stack, topic = slack_plan.stack, _topic_arn(slack_plan)
    fn = slack_plan.one("lambda/function:Function", f"{stack}-slack")
    subscriptions = slack_plan.find("sns/topicSubscription:TopicSubscription")
    [subscription] = [props(s) for s in subscriptions if props(s)["protocol"] == "lambda"]
    assert subscription["topic"] == topic and subscription["endpoint"] == fn.outputs["arn"]
    permission = props(slack_plan.one("lambda/permission:Permission", f"{stack}-slack"))
    assert permission["principal"] == "sns.amazonaws.com" and permission["sourceArn"] == topic
    # Every alarm that notifies anyone notifies this topic (the SLO parts notify through their composite).
    alarms = [r for r in slack_plan.find("cloudwatch/metricAlarm:MetricAlarm") if "-slo-burn-" not in r.name]
    notifying = alarms + slack_plan.find("cloudwatch/compositeAlarm:CompositeAlarm")
    assert len(notifying) >= 8
    for alarm in notifying:
        assert props(alarm)["alarmActions"] == [topic], alarm.name
        assert props(alarm)["okActions"] == [topic], alarm.name
    budget = props(slack_plan.one("budgets/budget:Budget"))
    assert all(n["subscriberSnsTopicArns"] == [topic] for n in budget["notifications"])


def test_the_forwarder_is_small_and_may_read_only_its_secret(slack_plan):
    stack = slack_plan.stack
    fn = props(slack_plan.one("lambda/function:Function", f"{stack}-slack"))
    secret = slack_plan.one("secretsmanager/secret:Secret", f"{stack}-slack")
    assert fn["environment"]["variables"] == {"SLACK_WEBHOOK_SECRET_ARN": secret.outputs["arn"]}
    assert fn["reservedConcurrentExecutions"] <= 2 and fn["memorySize"] == 128 and fn["runtime"] == "python3.12"
    group = slack_plan.one("cloudwatch/logGroup:LogGroup", f"{stack}-slack")
    assert props(group)["name"] == f"/aws/lambda/{fn['name']}" and props(group)["retentionInDays"] == 30
    policy = json.loads(props(slack_plan.one("iam/rolePolicy:RolePolicy", f"{stack}-slack"))["policy"])
    actions = {a: s["Resource"] for s in policy["Statement"] for a in s["Action"]}
    assert actions == {
        "logs:CreateLogStream": [f"{group.outputs['arn']}:*"],
        "logs:PutLogEvents": [f"{group.outputs['arn']}:*"],
        "secretsmanager:GetSecretValue": secret.outputs["arn"],
    }
    version = slack_plan.one("secretsmanager/secretVersion:SecretVersion", f"{stack}-slack").inputs["secretString"]
    assert isinstance(version, Secret) and version.value == WEBHOOK


def test_slo_burn_rate_alarms_use_the_shared_thresholds(slack_plan):
    stack = slack_plan.stack
    composites = {r.name: props(r) for r in slack_plan.find("cloudwatch/compositeAlarm:CompositeAlarm")}
    assert len(composites) == len(AVAILABILITY.burn_rates)
    for burn in AVAILABILITY.burn_rates:
        key = f"{stack}-slo-burn-{prom_duration(burn.long_window_s)}"
        for part, window in (("long", burn.long_window_s), ("short", burn.short_window_s)):
            alarm = props(slack_plan.one("cloudwatch/metricAlarm:MetricAlarm", f"{key}-{part}"))
            assert alarm["threshold"] == pytest.approx(burn.factor * (1 - AVAILABILITY.objective))
            assert {q["metric"]["period"] for q in alarm["metricQueries"] if "metric" in q} == {window}
            assert "alarmActions" not in alarm  # only the composite notifies
            # CloudWatch: period × evaluations ≤ 7 days, and ≤ 1 day for periods under an hour.
            assert window * alarm["evaluationPeriods"] <= (604800 if window >= 3600 else 86400)
        rule = composites[key]["alarmRule"]
        assert rule.startswith('ALARM("') and '") AND ALARM("' in rule
        assert composites[key]["tags"] == {"severity": burn.severity}


def test_the_webhook_url_never_reaches_the_plan_or_the_renders(slack_plan, tmp_path):
    write_artifacts(slack_plan, tmp_path)
    assert WEBHOOK not in json_report(slack_plan) + text_report(slack_plan)
    leaks = [p for p in tmp_path.rglob("*") if p.is_file() and WEBHOOK in p.read_text(errors="replace")]
    assert leaks == []


def test_the_planned_code_package_runs_and_posts_to_slack(slack_plan, tmp_path, s3_server, monkeypatch):
    """Unpack the archive the plan hands to Lambda, import its handler by the planned name, deliver one alarm."""
    fn = props(slack_plan.one("lambda/function:Function", f"{slack_plan.stack}-slack"))
    for name, asset in fn["code"]["assets"].items():
        shutil.copy(asset["path"], tmp_path / name)
    module_name, handler_name = fn["handler"].rsplit(".", 1)
    spec = importlib.util.spec_from_file_location(f"planned_{module_name}", tmp_path / f"{module_name}.py")
    assert spec and spec.loader
    package = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, package)  # as Lambda's runtime imports it
    spec.loader.exec_module(package)
    with fake_slack() as slack:
        client = boto3.client(
            "secretsmanager",
            endpoint_url=s3_server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        arn = client.create_secret(Name=f"planned-{slack_plan.stack}", SecretString=slack.url)["ARN"]
        for key, value in {
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": s3_server.endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "SLACK_WEBHOOK_SECRET_ARN": arn,  # the planned variable, pointed at the emulator's secret
        }.items():
            monkeypatch.setenv(key, value)
        getattr(package, handler_name)(sns_event(json.dumps(ALARM), "ALARM"), None)
    assert len(slack.received) == 1 and ALARM["AlarmName"] in slack.received[0]["text"]


@pytest.mark.parametrize("stack", STACKS)
def test_without_a_webhook_nothing_extra_is_planned(plan_stack, stack):
    result = plan_stack(stack)
    assert not [r for r in result.resources if "slack" in r.name or "-slo-burn-" in r.name]
    assert result.find("cloudwatch/compositeAlarm:CompositeAlarm") == []
    count, usd = DEFAULT_FIGURES[stack]
    assert (len(result.resources), round(result.cost.monthly_usd, 2)) == (count, usd)
