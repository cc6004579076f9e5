"""Alert policies → Slack on Google Cloud: a Pub/Sub notification channel and a small Cloud Run
function (Eventarc trigger) that posts each incident to the incoming webhook.

Cloud Monitoring's `slack` channel type needs a Slack app's OAuth token, and its `webhook_tokenauth`
channel posts Google's incident JSON, which a Slack incoming webhook refuses (it needs `text`), so
the same forwarder code as on AWS carries the message (docs/decisions/0117). The webhook URL lives in
Secret Manager; the function's own service account may read that secret and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
from pulumi_gcp import cloudfunctionsv2, cloudrun, pubsub, storage

from infra.components.gcp.common import children
from infra.components.gcp.identity import RoleIdentity
from infra.components.gcp.monitoring import monitoring
from infra.components.gcp.secrets import StoredSecret
from infra.functions import slack_alerts

RUNTIME = "python312"
ENTRY_POINT = slack_alerts.gcp_handler.__name__
# The Python runtime's framework; the function marks its signature type with it (Renovate moves it).
# renovate: datasource=pypi depName=functions-framework
FUNCTIONS_FRAMEWORK = "3.10.2"
REQUIREMENTS = f"functions-framework=={FUNCTIONS_FRAMEWORK}\n"
MEMORY, TIMEOUT_S, MAX_INSTANCES = "256M", 60, 2
PUBSUB_EVENT = "google.cloud.pubsub.topic.v1.messagePublished"
SOURCE_VERSIONS_KEPT_DAYS = 30


def source_archive() -> pulumi.AssetArchive:
    """The function's source: the forwarder as `main.py` (the runtime's convention) and its requirements."""
    return pulumi.AssetArchive(
        {
            "main.py": pulumi.FileAsset(str(Path(slack_alerts.__file__))),
            "requirements.txt": pulumi.StringAsset(REQUIREMENTS),
        }
    )


@dataclass(frozen=True)
class SlackForwarderArgs:
    project: str
    project_number: pulumi.Input[str]
    region: str
    name_prefix: str  # physical names derive from it (the stack's prefix)
    account_id: str  # the function's service account id (6..30 characters)
    webhook_url: pulumi.Input[str]  # a Pulumi secret


class SlackForwarder(pulumi.ComponentResource):
    channel: pulumi.Output[str]  # the notification channel alert policies name

    def __init__(self, name: str, args: SlackForwarderArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:gcp:SlackForwarder", name, None, opts)
        child = children(self, opts)
        topic = pubsub.Topic(name, name=f"{args.name_prefix}-alerts", opts=child)
        monitoring_agent = pulumi.Output.concat(
            "serviceAccount:service-", args.project_number, "@gcp-sa-monitoring-notification.iam.gserviceaccount.com"
        )
        publisher = pubsub.TopicIAMMember(
            f"{name}-monitoring", topic=topic.name, role="roles/pubsub.publisher", member=monitoring_agent, opts=child
        )
        channel = monitoring.NotificationChannel(
            name,
            display_name=f"{args.name_prefix} alerts → Slack (Pub/Sub)",
            type="pubsub",
            labels={"topic": topic.id},
            opts=children(self, opts, depends_on=[publisher]),
        )
        self.channel = channel.name

        identity = RoleIdentity(f"{name}-sa", args.account_id, "alerts", opts=child)
        webhook = StoredSecret(
            f"{name}-webhook", f"{args.name_prefix}-slack-webhook", args.webhook_url, [identity], child
        )
        source = storage.Bucket(
            f"{name}-source",
            name=f"{args.project}-{args.name_prefix}-fn-source",
            location=args.region,
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            versioning={"enabled": True},
            lifecycle_rules=[
                {
                    "action": {"type": "Delete"},
                    "condition": {"days_since_noncurrent_time": SOURCE_VERSIONS_KEPT_DAYS, "with_state": "ARCHIVED"},
                }
            ],
            labels={"purpose": "function-source"},
            force_destroy=True,  # holds only a build input, recreated by every `pulumi up`
            opts=child,
        )
        archive = storage.BucketObject(
            f"{name}-source", bucket=source.name, name="slack-alerts.zip", source=source_archive(), opts=child
        )
        function = cloudfunctionsv2.Function(
            name,
            name=f"{args.name_prefix}-slack-alerts",
            location=args.region,
            description="Forwards Cloud Monitoring incidents from Pub/Sub to Slack",
            build_config={
                "runtime": RUNTIME,
                "entry_point": ENTRY_POINT,
                "source": {
                    "storage_source": {"bucket": source.name, "object": archive.name, "generation": archive.generation}
                },
            },
            service_config={
                "available_memory": MEMORY,
                "timeout_seconds": TIMEOUT_S,
                "max_instance_count": MAX_INSTANCES,
                "min_instance_count": 0,
                "ingress_settings": "ALLOW_INTERNAL_ONLY",
                "all_traffic_on_latest_revision": True,
                "service_account_email": identity.email,
                "secret_environment_variables": [
                    {
                        "key": slack_alerts.WEBHOOK_ENV,
                        "project_id": args.project,
                        "secret": webhook.secret.secret_id,
                        "version": webhook.version.version,
                    }
                ],
            },
            event_trigger={
                "trigger_region": args.region,
                "event_type": PUBSUB_EVENT,
                "pubsub_topic": topic.id,
                "retry_policy": "RETRY_POLICY_RETRY",  # a refused POST is delivered again
                "service_account_email": identity.email,
            },
            labels={"app": "ai-service", "role": "alerts"},
            opts=children(self, opts, depends_on=[webhook]),
        )
        # Eventarc calls the function's Cloud Run service as the trigger's service account.
        cloudrun.IamMember(
            f"{name}-invoker",
            location=args.region,
            service=function.name,
            role="roles/run.invoker",
            member=identity.member,
            opts=child,
        )
        self.register_outputs({"channel": self.channel, "function": function.name})
