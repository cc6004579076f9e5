"""The Google APIs the stack uses, enabled in the project before anything needs them."""

from __future__ import annotations

import pulumi
from pulumi_gcp import projects

BASE_APIS = (
    "artifactregistry.googleapis.com",
    "compute.googleapis.com",
    "iam.googleapis.com",
    "monitoring.googleapis.com",
    "redis.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "servicenetworking.googleapis.com",
    "sqladmin.googleapis.com",
    "storage.googleapis.com",
)
BUDGET_API = "billingbudgets.googleapis.com"
SCHEDULER_API = "cloudscheduler.googleapis.com"  # schedules
DNS_API = "dns.googleapis.com"  # the private run.app zone of private accessories
# The Slack forwarder: a Cloud Run function (built by Cloud Build) triggered through Eventarc by Pub/Sub.
SLACK_APIS = (
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "eventarc.googleapis.com",
    "pubsub.googleapis.com",
)


class ProjectApis(pulumi.ComponentResource):
    """`projects.Service` per API; never disabled on destroy (other workloads may share the project)."""

    def __init__(self, name: str, apis: tuple[str, ...], opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:gcp:ProjectApis", name, None, opts)
        self.services = [
            projects.Service(
                api.split(".")[0],
                service=api,
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for api in apis
        ]
        self.register_outputs({})
