"""Alerts reach Slack on Cloud Run: with `alertSlackWebhook` every alert policy also notifies a Pub/Sub
channel whose messages a Cloud Run function posts to the webhook (from Secret Manager), and the
availability SLO with its burn-rate policies is planned. Without it nothing of this is planned."""

from __future__ import annotations

import importlib.util
import shutil
import sys

import pytest

from infra.components.gcp.apis import SLACK_APIS
from infra.functions import slack_alerts
from infra.render.observability.thresholds import AVAILABILITY, prom_duration
from infra.tooling.plan.render import write_artifacts
from infra.tooling.plan.report import json_report, text_report
from infra.tooling.values import Secret, unwrapped
from tests.functions.test_slack_alerts import INCIDENT, cloud_event
from tests.gcp.conftest import assert_everything_waits_for_the_apis
from tests.support.slack import fake_slack

WEBHOOK = "https://hooks.slack.com/services/T0SENTINEL/B0SENTINEL/slack-2b9e"


@pytest.fixture(scope="module")
def slack_plan(plan_stack):
    return plan_stack("gcp", alertSlackWebhook=Secret(WEBHOOK))


def _props(resource) -> dict:
    return unwrapped(resource.inputs)


def test_every_alert_policy_notifies_the_slack_channel(slack_plan):
    channel = slack_plan.one("monitoring/notificationChannel:NotificationChannel", "slack")
    topic = slack_plan.one("pubsub/topic:Topic", "slack")
    assert _props(channel)["type"] == "pubsub" and _props(channel)["labels"] == {"topic": topic.id}
    publisher = _props(slack_plan.one("pubsub/topicIAMMember:TopicIAMMember", "slack-monitoring"))
    assert publisher["role"] == "roles/pubsub.publisher" and publisher["topic"] == topic.outputs["name"]
    assert publisher["member"].endswith("@gcp-sa-monitoring-notification.iam.gserviceaccount.com")
    policies = slack_plan.find("monitoring/alertPolicy:AlertPolicy")
    assert len(policies) >= 9  # the service's policies and the SLO's four
    for policy in policies:
        assert channel.outputs["name"] in _props(policy)["notificationChannels"], policy.name


def test_the_function_reads_only_its_secret_and_is_triggered_by_the_topic(slack_plan):
    fn = _props(slack_plan.one("cloudfunctionsv2/function:Function", "slack"))
    topic = slack_plan.one("pubsub/topic:Topic", "slack")
    trigger = fn["eventTrigger"]
    assert trigger["pubsubTopic"] == topic.id and trigger["eventType"].endswith("messagePublished")
    assert trigger["retryPolicy"] == "RETRY_POLICY_RETRY"
    service = fn["serviceConfig"]
    assert service["ingressSettings"] == "ALLOW_INTERNAL_ONLY" and service["maxInstanceCount"] <= 2
    secret = slack_plan.one("secretmanager/secret:Secret", "slack-webhook")
    [env] = service["secretEnvironmentVariables"]
    assert env["key"] == slack_alerts.WEBHOOK_ENV and env["secret"] == _props(secret)["secretId"]
    assert (
        env["version"]
        == slack_plan.one("secretmanager/secretVersion:SecretVersion", "slack-webhook").outputs["version"]
    )
    account = slack_plan.one("serviceaccount/account:Account", "slack-sa")
    assert service["serviceAccountEmail"] == trigger["serviceAccountEmail"] == account.outputs["email"]
    grants = [
        _props(r)
        for r in slack_plan.resources
        if r.type.startswith("gcp:") and "IamMember" in r.type and _props(r).get("member") == account.outputs["member"]
    ]
    assert sorted((g["role"], g.get("secretId") or g.get("service")) for g in grants) == [
        ("roles/run.invoker", "ai-service-gcp-slack-alerts"),
        ("roles/secretmanager.secretAccessor", secret.id),
    ]
    value = slack_plan.one("secretmanager/secretVersion:SecretVersion", "slack-webhook").inputs["secretData"]
    assert isinstance(value, Secret) and value.value == WEBHOOK


def test_slo_and_burn_rate_policies_use_the_shared_thresholds(slack_plan):
    slo = slack_plan.one("monitoring/slo:Slo")
    assert _props(slo)["goal"] == AVAILABILITY.objective
    assert _props(slo)["rollingPeriodDays"] == AVAILABILITY.period_days
    ratio = _props(slo)["requestBasedSli"]["goodTotalRatio"]
    assert ratio["badServiceFilter"] == ratio["totalServiceFilter"] + ' AND metric.labels.response_code_class = "5xx"'
    for burn in AVAILABILITY.burn_rates:
        policy = _props(
            slack_plan.one(
                "monitoring/alertPolicy:AlertPolicy", f"monitoring-slo-burn-{prom_duration(burn.long_window_s)}"
            )
        )
        assert policy["combiner"] == "AND" and policy["severity"] == burn.severity.upper()
        conditions = [c["conditionThreshold"] for c in policy["conditions"]]
        assert [c["filter"] for c in conditions] == [
            f'select_slo_burn_rate("{slo.outputs["name"]}", "{w}s")' for w in (burn.long_window_s, burn.short_window_s)
        ]
        assert {c["thresholdValue"] for c in conditions} == {burn.factor}
        assert {c["duration"] for c in conditions} == {f"{burn.for_s}s"}


def test_the_webhook_url_never_reaches_the_plan_or_the_renders(slack_plan, tmp_path):
    write_artifacts(slack_plan, tmp_path)
    assert WEBHOOK not in json_report(slack_plan) + text_report(slack_plan)
    assert [p for p in tmp_path.rglob("*") if p.is_file() and WEBHOOK in p.read_text(errors="replace")] == []


def test_the_planned_source_runs_and_posts_to_slack(slack_plan, tmp_path, monkeypatch):
    """The archive uploaded for the build: `main.py` defines the planned entry point and posts an incident."""
    source = _props(slack_plan.one("storage/bucketObject:BucketObject", "slack-source"))["source"]["assets"]
    shutil.copy(source["main.py"]["path"], tmp_path / "main.py")
    assert source["requirements.txt"]["text"].startswith("functions-framework==")
    fn = _props(slack_plan.one("cloudfunctionsv2/function:Function", "slack"))
    spec = importlib.util.spec_from_file_location("planned_main", tmp_path / "main.py")
    assert spec and spec.loader
    main = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, main)
    spec.loader.exec_module(main)
    with fake_slack() as slack:
        monkeypatch.setenv(fn["serviceConfig"]["secretEnvironmentVariables"][0]["key"], slack.url)
        getattr(main, fn["buildConfig"]["entryPoint"])(cloud_event(INCIDENT))
    assert len(slack.received) == 1 and INCIDENT["incident"]["policy_name"] in slack.received[0]["text"]


def test_the_plan_passes_its_rules_and_prices_every_line(slack_plan):
    assert slack_plan.problems == [] and slack_plan.cost.unpriced == ()
    assert_everything_waits_for_the_apis(slack_plan)  # incl. Cloud Functions, Cloud Build, Eventarc, Pub/Sub
    apis = {_props(r)["service"] for r in slack_plan.find("projects/service:Service")}
    assert set(SLACK_APIS) <= apis
    new = [i for i in slack_plan.cost.items if i.resource.startswith("slack")]
    assert sum(i.monthly_usd for i in new) < 0.5


def test_without_a_webhook_nothing_extra_is_planned(plan_stack):
    result = plan_stack("gcp")
    assert not [r for r in result.resources if r.name.startswith("slack") or "slo" in r.name]
    assert result.find("monitoring/slo:Slo") == [] and result.find("cloudfunctionsv2/function:Function") == []
    assert (len(result.resources), round(result.cost.monthly_usd, 2)) == (109, 240.85)
