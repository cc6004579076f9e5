"""The Slack forwarder's code, run for real: platform events in, POSTs to a local webhook out.

The events are the JSON the platforms deliver (SNS → Lambda records with a CloudWatch alarm message
or an AWS Budgets text; a Cloud Monitoring incident inside a Pub/Sub CloudEvent). A failed POST must
raise, so SNS/Lambda or Eventarc retry the delivery.
"""

from __future__ import annotations

import base64
import json
import uuid
from types import SimpleNamespace

import boto3
import pytest

from infra.functions import slack_alerts
from tests.support.slack import fake_slack

ALARM_ARN = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:aws-alerts-slo-burn-1h"
ALARM = {
    "AlarmName": "aws-alerts-slo-burn-1h",
    "AlarmDescription": "API burns its 99.5% availability error budget 14.4x too fast (1h and 5m windows)",
    "AWSAccountId": "123456789012",
    "AlarmConfigurationUpdatedTimestamp": "2026-12-01T10:00:00.000+0000",
    "NewStateValue": "ALARM",
    "NewStateReason": "aws-alerts-slo-burn-1h-long in ALARM and aws-alerts-slo-burn-1h-short in ALARM",
    "StateChangeTime": "2026-12-04T05:35:12.345+0000",
    "Region": "EU (Ireland)",
    "AlarmArn": ALARM_ARN,
    "OldStateValue": "OK",
    "OKActions": ["arn:aws:sns:eu-west-1:123456789012:aws-alerts"],
    "AlarmActions": ["arn:aws:sns:eu-west-1:123456789012:aws-alerts"],
    "InsufficientDataActions": [],
}


def sns_event(message: str, subject: str) -> dict:
    """An SNS → Lambda event as Lambda delivers it (one record)."""
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:eu-west-1:123456789012:aws-alerts:2bcfbf39-05c3-41de-beaa",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": "2026-12-04T05:35:12.456Z",
                    "Signature": "tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...65r==",
                    "SigningCertUrl": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000.pem",
                    "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                    "Message": message,
                    "MessageAttributes": {},
                    "Type": "Notification",
                    "UnsubscribeUrl": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
                    "TopicArn": "arn:aws:sns:eu-west-1:123456789012:aws-alerts",
                    "Subject": subject,
                },
            }
        ]
    }


INCIDENT = {
    "version": "1.2",
    "incident": {
        "incident_id": "0.opqiw61fsv7p",
        "scoping_project_id": "my-gcp-project",
        "scoping_project_number": 12345,
        "url": "https://console.cloud.google.com/monitoring/alerting/incidents/0.opqiw61fsv7p?project=my-gcp-project",
        "started_at": 1764826512,
        "ended_at": None,
        "state": "open",
        "summary": "Error budget burn rate for ai-service-gcp availability is above the threshold of 14.4.",
        "apigee_url": "",
        "observed_value": "15.2",
        "resource": {"type": "cloud_run_revision", "labels": {"service_name": "ai-service-gcp"}},
        "resource_type_display_name": "Cloud Run Revision",
        "resource_id": "",
        "resource_display_name": "ai-service-gcp",
        "resource_name": "my-gcp-project ai-service-gcp",
        "metric": {"type": "select_slo_burn_rate", "displayName": "SLO burn rate", "labels": {}},
        "metadata": {"system_labels": {}, "user_labels": {}},
        "policy_name": "ai-service-gcp: error budget burn 14.4x (1h/5m)",
        "policy_user_labels": {},
        "documentation": {
            "content": "API burns its 99.5% availability error budget 14.4x too fast.",
            "mime_type": "text/markdown",
            "subject": "",
        },
        "condition": {"name": "projects/my-gcp-project/alertPolicies/1/conditions/2", "displayName": "1h window"},
        "condition_name": "1h window",
        "threshold_value": "14.4",
        "severity": "Critical",
    },
}


def cloud_event(payload: dict) -> SimpleNamespace:
    """A Pub/Sub messagePublished CloudEvent as the functions framework hands it over (`.data`)."""
    data = base64.b64encode(json.dumps(payload).encode()).decode()
    return SimpleNamespace(
        data={
            "message": {"data": data, "messageId": "1234567890", "publishTime": "2026-12-04T05:35:13.000Z"},
            "subscription": "projects/my-gcp-project/subscriptions/eventarc-us-central1-alerts-sub-000",
        }
    )


@pytest.fixture
def aws_secret(s3_server, monkeypatch):
    """The webhook URL in (moto's) Secrets Manager, and the Lambda's environment naming it."""

    def store(url: str) -> str:
        client = boto3.client(
            "secretsmanager",
            endpoint_url=s3_server.endpoint,
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        # The moto server is shared by the session: a fresh name per call (id() of a freed URL is reused).
        arn = client.create_secret(Name=f"slack-{uuid.uuid4().hex}", SecretString=url)["ARN"]
        monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", s3_server.endpoint)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv(slack_alerts.WEBHOOK_SECRET_ENV, arn)
        monkeypatch.setattr(slack_alerts, "_webhook", None)  # a cold start
        return arn

    return store


def test_cloudwatch_alarm_reaches_slack_with_name_state_reason(aws_secret):
    with fake_slack() as slack:
        aws_secret(slack.url)
        result = slack_alerts.aws_handler(
            sns_event(json.dumps(ALARM), 'ALARM: "aws-alerts-slo-burn-1h" in EU (Ireland)')
        )
    assert result == {"forwarded": 1}
    [message] = slack.received
    text = message["text"]
    assert "FIRING" in text and "*aws-alerts-slo-burn-1h*" in text
    assert "CloudWatch state: ALARM" in text
    assert ALARM["NewStateReason"] in text and ALARM["AlarmDescription"] in text
    assert "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/" in text


def test_recovery_and_budget_notices_are_forwarded_too(aws_secret):
    resolved = dict(ALARM, NewStateValue="OK", OldStateValue="ALARM", NewStateReason="back under the threshold")
    budget = "AWS Budget Notification December 04, 2026\nBudget Name: aws-monthly\nAlert Threshold: > $176.00\n"
    with fake_slack() as slack:
        aws_secret(slack.url)
        slack_alerts.aws_handler(sns_event(json.dumps(resolved), 'OK: "aws-alerts-slo-burn-1h" in EU (Ireland)'))
        slack_alerts.aws_handler(sns_event(budget, "AWS Budgets: aws-monthly has exceeded your alert threshold"))
    assert "RESOLVED" in slack.received[0]["text"] and "CloudWatch state: OK" in slack.received[0]["text"]
    assert "AWS Budgets" in slack.received[1]["text"] and "Budget Name: aws-monthly" in slack.received[1]["text"]


def test_a_refused_post_raises_so_the_platform_retries(aws_secret):
    with fake_slack() as slack:
        aws_secret(slack.url)
        slack.status = 500
        with pytest.raises(slack_alerts.DeliveryError, match="Slack answered 500"):
            slack_alerts.aws_handler(sns_event(json.dumps(ALARM), "ALARM"))
        slack.status = 200  # the retry goes through
        slack_alerts.aws_handler(sns_event(json.dumps(ALARM), "ALARM"))
    assert len(slack.received) == 1


def test_an_unreachable_webhook_raises_without_printing_the_url():
    with fake_slack() as slack:
        url = slack.url
    with pytest.raises(slack_alerts.DeliveryError) as raised:
        slack_alerts.post(url, {"text": "x"}, timeout=2)
    assert "SENTINEL" not in str(raised.value) and "127.0.0.1" not in str(raised.value)


def test_cloud_monitoring_incident_reaches_slack(monkeypatch):
    with fake_slack() as slack:
        monkeypatch.setenv(slack_alerts.WEBHOOK_ENV, slack.url)
        slack_alerts.gcp_handler(cloud_event(INCIDENT))
        closed = {**INCIDENT, "incident": {**INCIDENT["incident"], "state": "closed", "ended_at": 1764827000}}
        slack_alerts.gcp_handler(cloud_event(closed))
    firing, resolved = (m["text"] for m in slack.received)
    assert "FIRING" in firing and "*ai-service-gcp: error budget burn 14.4x (1h/5m)* (critical)" in firing
    assert "Cloud Monitoring state: open" in firing and INCIDENT["incident"]["summary"] in firing
    assert INCIDENT["incident"]["url"] in firing
    assert "RESOLVED" in resolved and "state: closed" in resolved


def test_cloud_monitoring_delivery_failure_raises(monkeypatch):
    with fake_slack() as slack:
        monkeypatch.setenv(slack_alerts.WEBHOOK_ENV, slack.url)
        slack.status = 429
        with pytest.raises(slack_alerts.DeliveryError, match="429"):
            slack_alerts.gcp_handler(cloud_event(INCIDENT))
