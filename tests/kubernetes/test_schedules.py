"""Schedules become CronJobs of the service image: UTC, one run at a time, bounded, cleaned up,
with the workers' config and identity, after the release's migrations."""

from __future__ import annotations

import pytest

from infra.settings.schedules import TIME_ZONE
from tests.kubernetes.conftest import SCHEDULES, find

JOB_TIMEOUT_S = 600  # kubernetes.jobTimeoutS default


def _cron_jobs(objects) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == "CronJob"}


def _container(pod_spec: dict) -> dict:
    return pod_spec["containers"][0]


def test_the_default_cleanup_schedule_is_an_hourly_cron_job(objects):
    jobs = _cron_jobs(objects)
    assert list(jobs) == ["ai-service-schedule-cleanup"]
    spec = jobs["ai-service-schedule-cleanup"]["spec"]
    assert spec["schedule"] == "0 * * * *"
    container = _container(spec["jobTemplate"]["spec"]["template"]["spec"])
    assert (container["command"], container["args"]) == (["ai-service"], ["enqueue-cleanup"])


def test_one_cron_job_per_schedule_runs_the_task_prefix_and_its_command(extras_objects):
    jobs = _cron_jobs(extras_objects)
    assert set(jobs) == {f"ai-service-schedule-{s['name']}" for s in SCHEDULES}
    for schedule in SCHEDULES:
        spec = jobs[f"ai-service-schedule-{schedule['name']}"]["spec"]
        assert spec["schedule"] == schedule["cron"]
        container = _container(spec["jobTemplate"]["spec"]["template"]["spec"])
        # commands.task (default `ai-service`) replaces the image's ENTRYPOINT; the schedule's command follows.
        assert container["command"] == ["ai-service"]
        assert container["args"] == schedule["command"]


@pytest.mark.parametrize("name", [s["name"] for s in SCHEDULES])
def test_runs_are_utc_single_bounded_and_cleaned_up(extras_objects, name):
    spec = _cron_jobs(extras_objects)[f"ai-service-schedule-{name}"]["spec"]
    assert spec["timeZone"] == TIME_ZONE == "Etc/UTC"
    assert spec["concurrencyPolicy"] == "Forbid"  # one run at a time per schedule
    assert 0 < spec["startingDeadlineSeconds"] <= 3600
    assert spec["successfulJobsHistoryLimit"] >= 1 and spec["failedJobsHistoryLimit"] >= 1
    job = spec["jobTemplate"]["spec"]
    assert 0 <= job["backoffLimit"] <= 3
    assert 0 < job["activeDeadlineSeconds"] <= JOB_TIMEOUT_S
    assert job["ttlSecondsAfterFinished"] > 0
    assert job["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")


def test_scheduled_pods_get_the_workers_config_identity_and_security(objects):
    job_pod = _cron_jobs(objects)["ai-service-schedule-cleanup"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    worker_pod = find(objects, "Deployment", "ai-service-worker-documents")["spec"]["template"]["spec"]
    job, worker = _container(job_pod), _container(worker_pod)
    assert job["image"] == worker["image"]
    assert (
        job["envFrom"]
        == worker["envFrom"]
        == [{"configMapRef": {"name": "ai-service-config"}}, {"secretRef": {"name": "ai-service-env"}}]
    )  # not the migrate URL
    job_env = {e["name"]: e["value"] for e in job["env"]}
    worker_env = {e["name"]: e["value"] for e in worker["env"]}
    # What the command enqueues carries the same timeout the workers enforce.
    assert job_env["JOB_TIMEOUT_SECONDS"] == worker_env["JOB_TIMEOUT_SECONDS"] == str(JOB_TIMEOUT_S)
    assert job["securityContext"] == worker["securityContext"]
    assert job["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"cpu", "memory"} <= job["resources"]["limits"].keys()
    for key in ("securityContext", "automountServiceAccountToken", "imagePullSecrets", "volumes"):
        assert job_pod[key] == worker_pod[key], key
    assert job_pod["serviceAccountName"] == "ai-service-schedule"
    assert find(objects, "ServiceAccount", "ai-service-schedule")["automountServiceAccountToken"] is False


def test_cron_jobs_wait_for_the_release_migrations(prod):
    migrate = prod.one("kubernetes:batch/v1:Job", "migrate")
    cron = prod.one("kubernetes:batch/v1:CronJob", "cronjob-ai-service-schedule-cleanup")
    assert migrate.urn in cron.dependencies  # a new image's schedule never runs on the old schema


def test_no_schedules_no_cron_jobs_or_their_identity(plan_stack):
    plan = plan_stack("prod", schedules=[])
    assert not plan.find("kubernetes:batch/v1:CronJob")
    assert not plan.find("ServiceAccount", "serviceaccount-ai-service-schedule")
    assert "kubernetes/schedules.yaml" not in plan.artifacts
