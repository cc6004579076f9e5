"""Scheduled jobs as EventBridge Scheduler schedules (fargate: ECS RunTask; lambda: invoke).

Each schedule has its own role allowed to start exactly its target, bounded retries, and a
shared SQS dead-letter queue for invocations that still failed (alarmed by the stack).
EventBridge has no concurrency control: a slow run can overlap the next one, so scheduled
commands must be idempotent (`enqueue-cleanup` is). Retries cover a failed start (RunTask /
Invoke throttled or refused), not a job that exits non-zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
from pulumi_aws import scheduler, sqs

from infra.components.aws import iam as aws_iam
from infra.components.sdk import sdk_input
from infra.render.observability.thresholds import StateThreshold
from infra.settings.extras import Schedule
from infra.settings.schedules import eventbridge_expression

TIME_ZONE = "UTC"  # stack config cron is UTC (infra/settings/schedules.py)
RETRY_ATTEMPTS = 2
MAX_EVENT_AGE_S = 900  # give up retrying a start after 15 minutes
DLQ_RETENTION_S = 14 * 24 * 3600  # SQS maximum
# A message in the dead-letter queue: a run that never started. Warn within a minute.
SCHEDULE_FAILED = StateThreshold(for_s=60, severity="warning")


class ScheduledJobs(pulumi.ComponentResource):
    dead_letter: sqs.Queue

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:aws:ScheduledJobs", name, None, opts)
        self._name = name
        self.dead_letter = sqs.Queue(
            f"{name}-schedules-dlq",
            message_retention_seconds=DLQ_RETENTION_S,
            sqs_managed_sse_enabled=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"dead_letter": self.dead_letter.arn})

    def add(
        self,
        schedule: Schedule,
        target_arn: pulumi.Input[str],
        statements: Sequence[pulumi.Input[dict]],
        *,
        ecs_parameters: Mapping | None = None,
        input: str | None = None,
        argv: Sequence[str] | None = None,
    ) -> scheduler.Schedule:
        """One schedule invoking `target_arn`; `statements` are exactly what starting that target needs;
        `argv` is what the run executes (for the description; default `ai-service <command>`)."""
        child = pulumi.ResourceOptions(parent=self)
        name = f"{self._name}-schedule-{schedule.name}"
        dead_letter = self.dead_letter.arn.apply(
            lambda arn: {"Sid": "DeadLetter", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": arn}
        )
        role = aws_iam.role(
            name,
            "scheduler.amazonaws.com",
            [*statements, dead_letter],
            child,
            description=f"EventBridge Scheduler: start schedule {schedule.name}",
        )
        target: dict = {
            "arn": target_arn,
            "role_arn": role.arn,
            "retry_policy": {"maximum_retry_attempts": RETRY_ATTEMPTS, "maximum_event_age_in_seconds": MAX_EVENT_AGE_S},
            "dead_letter_config": {"arn": self.dead_letter.arn},
        }
        if ecs_parameters is not None:
            target["ecs_parameters"] = ecs_parameters
        if input is not None:
            target["input"] = input
        return scheduler.Schedule(
            name,
            name=name,
            description=f"{' '.join(argv or ('ai-service', *schedule.command))} ({schedule.cron} UTC)",
            schedule_expression=eventbridge_expression(schedule.cron),
            schedule_expression_timezone=TIME_ZONE,
            flexible_time_window={"mode": "OFF"},
            target=sdk_input(target),
            opts=child,
        )
