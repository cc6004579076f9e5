"""Alert notifications → a Slack incoming webhook.

The whole code of the forwarder function on both clouds (standard library only; this file is the
function's package):
- AWS: CloudWatch alarms and AWS Budgets publish to an SNS topic; the topic invokes a Lambda with
  `aws_handler`, which reads the webhook URL from Secrets Manager (`SLACK_WEBHOOK_SECRET_ARN`).
- Google Cloud: alert policies notify a Pub/Sub channel; Eventarc delivers each message to a Cloud Run
  function with `gcp_handler`; the webhook URL arrives from Secret Manager as `SLACK_WEBHOOK_URL`.

A failed POST raises, so the platform retries the delivery (Lambda's asynchronous retries, Eventarc's
retry policy) instead of dropping the alert.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

WEBHOOK_ENV = "SLACK_WEBHOOK_URL"
WEBHOOK_SECRET_ENV = "SLACK_WEBHOOK_SECRET_ARN"
TIMEOUT_S = 10
REASON_LIMIT = 1500  # Slack shows long texts collapsed; an alarm reason is rarely longer


class DeliveryError(RuntimeError):
    """Slack did not accept the message (the platform retries the event)."""


@dataclass(frozen=True)
class Alert:
    name: str
    firing: bool | None  # None: neither firing nor resolved (INSUFFICIENT_DATA, a budget notice)
    state: str  # the platform's own word: ALARM, OK, open, closed...
    reason: str
    source: str
    description: str = ""
    severity: str = ""
    link: str = ""


def _cloudwatch_link(alarm_arn: str, name: str) -> str:
    parts = alarm_arn.split(":")  # arn:aws:cloudwatch:<region>:<account>:alarm:<name>
    if len(parts) < 4 or not parts[3]:
        return ""
    region = parts[3]
    quoted = urllib.parse.quote(name, safe="")
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#alarmsV2:alarm/{quoted}"


def from_sns(record: dict[str, Any]) -> Alert:
    """One SNS record: a CloudWatch alarm state change (JSON message) or a plain-text notice (AWS Budgets)."""
    sns = record["Sns"]
    subject = sns.get("Subject") or ""
    try:
        message = json.loads(sns["Message"])
    except (TypeError, ValueError):
        message = None
    if not isinstance(message, dict) or "AlarmName" not in message:
        source = "AWS Budgets" if subject.startswith("AWS Budgets") else "Amazon SNS"
        return Alert(
            name=subject or "notification", firing=None, state="NOTICE", reason=str(sns["Message"]), source=source
        )
    state = str(message.get("NewStateValue", ""))
    return Alert(
        name=str(message["AlarmName"]),
        firing={"ALARM": True, "OK": False}.get(state),
        state=state,
        reason=str(message.get("NewStateReason", "")),
        source="CloudWatch",
        description=str(message.get("AlarmDescription") or ""),
        link=_cloudwatch_link(str(message.get("AlarmArn", "")), str(message["AlarmName"])),
    )


def from_incident(payload: dict[str, Any]) -> Alert:
    """A Cloud Monitoring notification (the JSON its Pub/Sub and webhook channels send)."""
    incident = payload["incident"]
    state = str(incident.get("state", ""))
    documentation = incident.get("documentation") or {}
    return Alert(
        name=str(incident.get("policy_name") or incident.get("condition_name") or "alert"),
        firing={"open": True, "closed": False}.get(state),
        state=state,
        reason=str(incident.get("summary", "")),
        source="Cloud Monitoring",
        description=str(documentation.get("content") or ""),
        severity=str(incident.get("severity") or "").lower(),
        link=str(incident.get("url") or ""),
    )


def slack_message(alert: Alert) -> dict[str, str]:
    """The incoming-webhook body: one mrkdwn text (Slack renders it in the channel and in notifications)."""
    mark = {True: ":rotating_light: FIRING", False: ":white_check_mark: RESOLVED", None: ":information_source:"}
    head = f"{mark[alert.firing]} *{alert.name}*"
    if alert.severity:
        head += f" ({alert.severity})"
    lines = [head, f"{alert.source} state: {alert.state}"]
    if alert.description:
        lines.append(alert.description[:REASON_LIMIT])
    if alert.reason:
        lines.append(f"> {alert.reason[:REASON_LIMIT]}")
    if alert.link:
        lines.append(f"<{alert.link}|open in the console>")
    return {"text": "\n".join(lines)}


def post(url: str, message: dict[str, str], timeout: float = TIMEOUT_S) -> None:
    """POST `message` to the webhook; raise DeliveryError unless Slack answers 2xx."""
    request = urllib.request.Request(
        url, data=json.dumps(message).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (https URL from config)
            response.read()
    except urllib.error.HTTPError as exc:
        # The body names the cause (invalid_payload, no_service, channel_not_found...); the URL is never logged.
        detail = exc.read(200).decode(errors="replace")
        raise DeliveryError(f"Slack answered {exc.code}: {detail}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"Slack unreachable: {type(exc).__name__}") from None


_webhook: str | None = None


def _aws_webhook() -> str:
    """The URL from Secrets Manager, read once per cold start (boto3 ships with Lambda's Python runtime)."""
    global _webhook
    if _webhook is None:
        import boto3

        secret = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ[WEBHOOK_SECRET_ENV])
        _webhook = str(secret["SecretString"]).strip()
    return _webhook


def aws_handler(event: dict[str, Any], context: object = None) -> dict[str, int]:
    """Lambda entry point for SNS events."""
    records = [r for r in event.get("Records", []) if "Sns" in r]
    for record in records:
        post(_aws_webhook(), slack_message(from_sns(record)))
    return {"forwarded": len(records)}


def gcp_handler(cloud_event: Any) -> None:
    """Cloud Run function entry point for Pub/Sub CloudEvents (Eventarc `messagePublished`)."""
    data = cloud_event.data if hasattr(cloud_event, "data") else cloud_event["data"]
    payload = json.loads(base64.b64decode(data["message"]["data"]))
    post(os.environ[WEBHOOK_ENV], slack_message(from_incident(payload)))


try:  # present in the Cloud Run functions Python runtime; marks the signature type there
    import functions_framework  # type: ignore[import-not-found]

    gcp_handler = functions_framework.cloud_event(gcp_handler)
except ImportError:
    pass
