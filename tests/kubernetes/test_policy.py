"""The Kubernetes policy rules catch the workloads they exist for (and pass ours)."""

from __future__ import annotations

import copy

import pytest

from infra.render.kubernetes import workloads
from infra.settings.model import DEFAULT_WORKERS
from infra.tooling.policy import ResourceRule, ResourceView
from infra.tooling.policy.kubernetes import K8S_RULES

DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def _spec() -> workloads.AppSpec:
    return workloads.AppSpec(
        namespace="ns",
        image="registry.invalid/app@sha256:" + "a" * 64,
        migrate_job_name="m",
        api_min_replicas=2,
        api_max_replicas=4,
        api_cpu="500m",
        api_memory="512Mi",
        workers=DEFAULT_WORKERS,
        worker_hpa_max=0,
        job_timeout_s=60,
    )


def _violations(views: list[ResourceView]) -> list[str]:
    found = []
    for rule in K8S_RULES:
        if isinstance(rule, ResourceRule):
            found += [f"{rule.name}: {m}" for v in views for m in rule.check(v)]
        else:
            found += [f"{rule.name}: {m}" for _, m in rule.check(views)]
    return found


def _view(obj: dict) -> ResourceView:
    kind_type = {
        "Deployment": DEPLOYMENT,
        "HorizontalPodAutoscaler": "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    }
    return ResourceView(type=kind_type[obj["kind"]], name=obj["metadata"]["name"], props=obj)


def test_our_api_deployment_and_hpa_pass():
    spec = _spec()
    assert (
        _violations([_view(workloads.api_deployment(spec)), _view(workloads.hpa("ai-service-api", "ns", "api", 2, 4))])
        == []
    )


@pytest.mark.parametrize(
    "mutate,rule",
    [
        (lambda c, p: c["securityContext"].update(runAsNonRoot=False), "k8s-restricted-containers"),
        (lambda c, p: c["securityContext"].pop("capabilities"), "k8s-restricted-containers"),
        (lambda c, p: c["resources"].pop("limits"), "k8s-resource-limits"),
        (lambda c, p: c.pop("readinessProbe"), "k8s-probes"),
        (lambda c, p: p.update(hostNetwork=True), "k8s-no-host-namespaces"),
        (lambda c, p: c.update(image="redis:latest"), "k8s-pinned-images"),
        (lambda c, p: c.update(image="redis"), "k8s-pinned-images"),
    ],
)
def test_each_rule_catches_its_violation(mutate, rule):
    deployment = copy.deepcopy(workloads.api_deployment(_spec()))
    pod = deployment["spec"]["template"]["spec"]
    mutate(pod["containers"][0], pod)
    assert any(v.startswith(rule) for v in _violations([_view(deployment)]))


def test_replicas_on_an_hpa_scaled_deployment_is_a_violation():
    deployment = workloads.api_deployment(_spec())
    deployment["spec"]["replicas"] = 3
    found = _violations([_view(deployment), _view(workloads.hpa("ai-service-api", "ns", "api", 2, 4))])
    assert any(v.startswith("k8s-hpa-owns-replicas") for v in found)


def test_accessories_pass_and_only_a_portless_one_goes_unprobed():
    from infra.render.kubernetes import accessories
    from infra.settings.extras import Accessory

    served = Accessory(name="helpdesk", image="ghcr.io/example/helpdesk:3.1.0", port=8080)
    portless = Accessory(name="sync", image="ghcr.io/example/sync:1.0.0")
    assert _violations([_view(accessories.workload(a, "ns")) for a in (served, portless)]) == []
    unprobed = accessories.workload(served, "ns")
    unprobed["spec"]["template"]["spec"]["containers"][0].pop("livenessProbe")
    assert any(v.startswith("k8s-probes") for v in _violations([_view(unprobed)]))
