"""A schedule as a Cloud Run Job from the service image, started by Cloud Scheduler.

Cloud Scheduler POSTs `jobs/<name>:run` to the Cloud Run Admin API with an OAuth token of a
dedicated scheduler account whose only grant is run.invoker on this one Job (run.jobs.run; no
overrides, so the Job runs exactly the args deployed here). Cron is UTC.

Each trigger starts a new execution and Cloud Run does not wait for the previous one: one run
at a time holds as long as a run (task timeout x attempts) is shorter than the cron interval,
and the commands are idempotent (`enqueue-cleanup` enqueues under a fixed job id).
Scheduler retries cover a failed start (the API call); a failed task is retried by the Job.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import cloudrunv2, cloudscheduler

from infra.components.gcp.common import children
from infra.components.gcp.identity import RoleIdentity
from infra.components.gcp.run import JOB_NAME_LIMIT, publish
from infra.components.sdk import sdk_input
from infra.render.gcp.specs import Workload, job_template
from infra.settings.schedules import TIME_ZONE

RUN_API = "https://run.googleapis.com/v2"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
CRON_ANNOTATION = "ai-service/cron"  # shown on the Job; the cost model reads the run frequency from it
MAX_RETRIES = 1


@dataclass(frozen=True)
class ScheduleArgs:
    job_name: str
    project: str
    region: str
    cron: str
    workload: Workload  # argv = `commands.task` + the schedule's command
    timeout_s: int
    protect: bool


class ScheduledJob(pulumi.ComponentResource):
    job: cloudrunv2.Job
    trigger: cloudscheduler.Job

    def __init__(
        self,
        name: str,
        args: ScheduleArgs,
        scheduler: RoleIdentity,
        depends_on: list[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("ai-service:gcp:ScheduledJob", name, None, opts)
        if len(args.job_name) > JOB_NAME_LIMIT:
            raise ValueError(f"job name {args.job_name!r} is longer than {JOB_NAME_LIMIT} characters")
        template = job_template(args.workload, timeout_s=args.timeout_s, max_retries=MAX_RETRIES)
        publish(f"cloudrun/{name}.json", template)
        self.job = cloudrunv2.Job(
            name,
            name=args.job_name,
            location=args.region,
            template=sdk_input(template),
            annotations={CRON_ANNOTATION: args.cron},
            deletion_protection=args.protect,
            opts=children(self, opts, depends_on=depends_on),
        )
        invoker = cloudrunv2.JobIamMember(
            f"{name}-invoker",
            name=self.job.name,
            location=args.region,
            role="roles/run.invoker",
            member=scheduler.member,
            opts=children(self, opts),
        )
        self.trigger = cloudscheduler.Job(
            f"{name}-trigger",
            name=args.job_name,
            region=args.region,
            description=f"runs Cloud Run job {args.job_name} ({args.cron} {TIME_ZONE})",
            schedule=args.cron,
            time_zone=TIME_ZONE,
            attempt_deadline="60s",  # :run answers at once with an operation; the execution runs on
            retry_config={"retry_count": 3, "min_backoff_duration": "30s", "max_backoff_duration": "300s"},
            http_target={
                "http_method": "POST",
                "uri": pulumi.Output.concat(
                    RUN_API, "/projects/", args.project, "/locations/", args.region, "/jobs/", self.job.name, ":run"
                ),
                "oauth_token": {"service_account_email": scheduler.email, "scope": CLOUD_PLATFORM_SCOPE},
            },
            opts=children(self, opts, depends_on=[invoker]),  # a first trigger must not be denied
        )
        self.register_outputs({"job": self.job.name})
