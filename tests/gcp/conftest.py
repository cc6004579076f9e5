"""Shared helpers for the cloudrun target's plan tests."""

from __future__ import annotations

import pytest

from infra.plan.values import unwrapped

RUN_TYPES = ("cloudrunv2/service:Service", "cloudrunv2/job:Job", "cloudrunv2/workerPool:WorkerPool")


def pod(resource) -> dict:
    """The pod-level template of a Cloud Run workload (a Job nests one level deeper)."""
    template = unwrapped(resource.inputs)["template"]
    return template["template"] if resource.type.endswith("Job") else template


def workloads(plan) -> list:
    return [r for r in plan.resources if r.type.endswith(RUN_TYPES)]


def envs(resource) -> list[dict]:
    return [env for c in pod(resource)["containers"] for env in c.get("envs", [])]


@pytest.fixture(scope="session")
def gcp(plan_stack):
    return plan_stack("gcp")
