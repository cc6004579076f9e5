"""Shared helpers for the cloudrun target's plan tests."""

from __future__ import annotations

import pytest

from infra.tooling.values import unwrapped

RUN_TYPES = ("cloudrunv2/service:Service", "cloudrunv2/job:Job", "cloudrunv2/workerPool:WorkerPool")


def pod(resource) -> dict:
    """The pod-level template of a Cloud Run workload (a Job nests one level deeper)."""
    template = unwrapped(resource.inputs)["template"]
    return template["template"] if resource.type.endswith("Job") else template


def workloads(plan) -> list:
    return [r for r in plan.resources if r.type.endswith(RUN_TYPES)]


def envs(resource) -> list[dict]:
    return [env for c in pod(resource)["containers"] for env in c.get("envs", [])]


def assert_everything_waits_for_the_apis(plan) -> None:
    """Every gcp resource depends (transitively) on every enabled API: nothing starts before its API."""
    by_urn = {r.urn: r for r in plan.resources}
    apis = {r.urn for r in plan.find("projects/service:Service")}

    def upstream(urn: str, seen: set[str]) -> set[str]:
        for dep in by_urn[urn].dependencies:
            if dep not in seen:
                seen.add(dep)
                upstream(dep, seen)
        return seen

    for resource in plan.resources:
        if resource.custom and resource.type.startswith("gcp:") and resource.urn not in apis:
            missing = apis - upstream(resource.urn, set())
            assert not missing, f"{resource.name} may start before {sorted(m.rsplit('::', 1)[-1] for m in missing)}"


@pytest.fixture(scope="session")
def gcp(plan_stack):
    return plan_stack("gcp")
