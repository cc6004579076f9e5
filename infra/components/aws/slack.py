"""Alarms → Slack on AWS: the alert topic invokes a small Lambda that posts to the incoming webhook.

An incoming webhook cannot confirm an SNS HTTPS subscription, and AWS Chatbot needs a Slack workspace
authorised by hand in the console, so a forwarder carries the message (docs/decisions/0117).
The webhook URL lives in Secrets Manager; the function may read that one secret and write its own
log group, nothing else. Its code is infra/functions/slack_alerts.py (standard library only).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
from pulumi_aws import cloudwatch, lambda_, secretsmanager, sns

from infra.components.aws import iam as aws_iam
from infra.contract import TASK_ROLE_TAG
from infra.functions import slack_alerts

RUNTIME = "python3.12"
HANDLER = f"{Path(slack_alerts.__file__).stem}.{slack_alerts.aws_handler.__name__}"
MEMORY_MB, TIMEOUT_S = 128, 30
RESERVED_CONCURRENCY = 2  # alarms arrive a few at a time; a storm queues in Lambda's async queue
ROLE = "alerts"  # TASK_ROLE_TAG value: the cost model prices it by alert volume, not API traffic


def code_archive() -> pulumi.AssetArchive:
    path = Path(slack_alerts.__file__)
    return pulumi.AssetArchive({path.name: pulumi.FileAsset(str(path))})


@dataclass(frozen=True)
class SlackForwarderArgs:
    topic_arn: pulumi.Input[str]
    webhook_url: pulumi.Input[str]  # a Pulumi secret
    log_retention_days: int


class SlackForwarder(pulumi.ComponentResource):
    function: lambda_.Function

    def __init__(self, name: str, args: SlackForwarderArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:aws:SlackForwarder", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        secret = secretsmanager.Secret(
            name, description="Slack incoming-webhook URL the alert forwarder posts to", opts=child
        )
        secretsmanager.SecretVersion(
            name, secret_id=secret.id, secret_string=pulumi.Output.secret(args.webhook_url), opts=child
        )
        function_name = name
        logs = cloudwatch.LogGroup(
            name, name=f"/aws/lambda/{function_name}", retention_in_days=args.log_retention_days, opts=child
        )
        role = aws_iam.role(
            name,
            "lambda.amazonaws.com",
            [
                aws_iam.logs_statement([logs.arn]),
                secret.arn.apply(
                    lambda arn: {
                        "Sid": "ReadWebhook",
                        "Effect": "Allow",
                        "Action": ["secretsmanager:GetSecretValue"],
                        "Resource": arn,
                    }
                ),
            ],
            child,
            description="Slack alert forwarder: read the webhook secret, write its own logs",
        )
        self.function = lambda_.Function(
            name,
            name=function_name,
            description="Forwards alarm notifications from SNS to Slack",
            runtime=RUNTIME,
            handler=HANDLER,
            code=code_archive(),
            role=role.arn,
            memory_size=MEMORY_MB,
            timeout=TIMEOUT_S,
            reserved_concurrent_executions=RESERVED_CONCURRENCY,
            environment={"variables": {slack_alerts.WEBHOOK_SECRET_ENV: secret.arn}},
            tags={TASK_ROLE_TAG: ROLE},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs]),
        )
        lambda_.Permission(
            name,
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="sns.amazonaws.com",
            source_arn=args.topic_arn,
            opts=child,
        )
        sns.TopicSubscription(
            f"{name}-lambda", topic=args.topic_arn, protocol="lambda", endpoint=self.function.arn, opts=child
        )
        self.register_outputs({"function": self.function.name})
