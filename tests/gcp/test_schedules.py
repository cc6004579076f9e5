"""Schedules on Cloud Run: a Job from the service image, started by Cloud Scheduler through the
Run Admin API as a dedicated account that may run only that Job."""

from __future__ import annotations

import pytest

from infra.render.dockerhost.topology import JOB_TIMEOUT_S
from infra.settings.schedules import TIME_ZONE, runs_per_month
from infra.tooling.values import unwrapped
from tests.gcp.conftest import envs, pod

REINDEX = {"name": "reindex", "cron": "30 2 * * 1-5", "command": ["reindex"]}


@pytest.fixture(scope="module")
def two(plan_stack):
    return plan_stack(
        "gcp", schedules=[{"name": "cleanup", "cron": "*/15 * * * *", "command": ["enqueue-cleanup"]}, REINDEX]
    )


def test_default_cleanup_schedule_is_a_job_from_the_service_image(gcp):
    job = unwrapped(gcp.one("cloudrunv2/job:Job", "schedule-cleanup").inputs)
    assert job["name"] == "ai-service-gcp-cron-cleanup" and "runExecutionToken" not in job  # not run by `up`
    assert job["template"]["taskCount"] == 1 and job["template"]["parallelism"] == 1
    task = job["template"]["template"]
    assert task["containers"][0]["args"] == ["enqueue-cleanup"]  # arguments of the image's `ai-service` entrypoint
    assert task["containers"][0]["image"] == gcp.outputs["image"]
    assert task["maxRetries"] == 1 and task["timeout"] == f"{JOB_TIMEOUT_S}s"
    assert task["serviceAccount"] == gcp.one("Account", "sa-worker").outputs["email"]
    assert job["deletionProtection"] is True
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"} <= {
        e["name"] for e in envs(gcp.one("cloudrunv2/job:Job", "schedule-cleanup"))
    }


def test_cloud_scheduler_posts_the_run_api_as_the_scheduler_account(gcp):
    trigger = unwrapped(gcp.one("cloudscheduler/job:Job", "schedule-cleanup-trigger").inputs)
    assert trigger["schedule"] == "0 * * * *" and trigger["timeZone"] == TIME_ZONE == "Etc/UTC"
    assert trigger["region"] == "us-central1"
    target = trigger["httpTarget"]
    assert target["httpMethod"] == "POST"
    assert target["uri"] == (
        "https://run.googleapis.com/v2/projects/my-gcp-project/locations/us-central1"
        "/jobs/ai-service-gcp-cron-cleanup:run"
    )
    scheduler = gcp.one("Account", "sa-scheduler").outputs["email"]
    assert target["oauthToken"] == {
        "serviceAccountEmail": scheduler,
        "scope": "https://www.googleapis.com/auth/cloud-platform",
    }
    assert "body" not in target  # no overrides: the Job runs exactly its deployed args
    assert trigger["retryConfig"]["retryCount"] >= 1


def test_scheduler_account_may_only_invoke_its_jobs(two):
    member = two.one("Account", "sa-scheduler").outputs["member"]
    grants = [
        g
        for g in two.resources
        if ("IamMember" in g.type or "IAMMember" in g.type) and unwrapped(g.inputs)["member"] == member
    ]
    assert sorted(
        (g.type.rsplit(":", 1)[-1], unwrapped(g.inputs)["role"], unwrapped(g.inputs)["name"]) for g in grants
    ) == [
        ("JobIamMember", "roles/run.invoker", "ai-service-gcp-cron-cleanup"),
        ("JobIamMember", "roles/run.invoker", "ai-service-gcp-cron-reindex"),
    ]
    for name in ("cleanup", "reindex"):
        trigger = two.one("cloudscheduler/job:Job", f"schedule-{name}-trigger")
        assert two.one("JobIamMember", f"schedule-{name}-invoker").urn in trigger.dependencies


def test_schedule_waits_for_migrations_and_the_workers_grants(gcp):
    job = gcp.one("cloudrunv2/job:Job", "schedule-cleanup")
    assert gcp.one("cloudrunv2/job:Job", "migrate").urn in job.dependencies
    assert gcp.one("SecretIamMember", "secret-database-url-worker").urn in job.dependencies


def test_every_schedule_renders_and_costs_at_its_frequency(two, gcp):
    assert {"cloudrun/schedule-cleanup.json", "cloudrun/schedule-reindex.json"} <= set(two.artifacts)
    assert pod(two.one("cloudrunv2/job:Job", "schedule-reindex"))["containers"][0]["args"] == ["reindex"]
    lines = {i.resource: i for i in two.cost.items}
    # 4 x 730 runs x 60 s x (1 vCPU x $0.000018 + 0.5 GiB x $0.000002)
    assert lines["schedule-cleanup"].monthly_usd == pytest.approx(2920 * 60 * 0.000019, abs=0.01)
    assert lines["schedule-reindex"].monthly_usd == pytest.approx(22 * 60 * 0.000019, abs=0.01)  # weekdays, Jan 2026
    assert "2920 runs/month" in lines["schedule-cleanup"].basis
    assert lines["schedule-cleanup-trigger"].monthly_usd == 0.10
    default = {i.resource: i.monthly_usd for i in gcp.cost.items}
    assert default["schedule-cleanup"] == pytest.approx(0.83) and default["schedule-cleanup-trigger"] == 0.10
    assert "migrate" not in default  # the migrate job runs once per release: not costed


def test_runs_per_month():
    assert runs_per_month(*"0 * * * *".split()) == 730
    assert runs_per_month(*"*/15 * * * *".split()) == 2920
    assert runs_per_month(*"0 3 * * *".split()) == pytest.approx(365 / 12)  # a year's average month
    assert runs_per_month(*"30 2 * * 1-5".split()) == pytest.approx(261 / 12)  # 261 weekdays in 2026


def test_no_schedules_no_scheduler(plan_stack):
    plan = plan_stack("gcp", schedules=[])
    assert not plan.find("cloudscheduler/job:Job") and not plan.find("Account", "sa-scheduler")
    assert not plan.find("projects/service:Service", "cloudscheduler")
    assert [j.name for j in plan.find("cloudrunv2/job:Job")] == ["migrate"]


def test_scheduler_api_is_enabled_before_the_trigger(gcp):
    api = gcp.one("projects/service:Service", "cloudscheduler")
    assert unwrapped(api.inputs)["service"] == "cloudscheduler.googleapis.com"
    assert api.urn in gcp.one("cloudscheduler/job:Job", "schedule-cleanup-trigger").dependencies
