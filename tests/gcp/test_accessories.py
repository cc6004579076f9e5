"""Accessories on Cloud Run: own service and account, secret env only via Secret Manager, private
(internal ingress, invoker = the API and worker accounts) unless public, untouched by a release."""

from __future__ import annotations

import json

import pytest

from infra.components.gcp.run_dns import PRIVATE_GOOGLE_ACCESS_VIPS
from infra.render.gcp.specs import run_size
from infra.tooling.values import Secret, unwrapped
from tests.gcp.conftest import assert_everything_waits_for_the_apis, envs, pod

TOKEN = "SENTINEL-gateway-token-81d2"
GATEWAY = {
    "name": "gateway",
    "image": "ghcr.io/example/wa-gateway:1.4.2",
    "port": 3000,
    "command": ["--listen", ":3000"],
    "env": {"LOG_FORMAT": "json"},
    "secretEnv": {"GATEWAY_TOKEN": TOKEN},
    "memory": 768,
    "cpu": 0.5,
}
HELPDESK = {"name": "helpdesk", "image": "docker.io/example/helpdesk:2.0.1", "port": 8080, "public": True}
IMAGE_A = "us-docker.pkg.dev/p/r/ai-service@sha256:" + "a" * 64
IMAGE_B = "us-docker.pkg.dev/p/r/ai-service@sha256:" + "b" * 64


@pytest.fixture(scope="module")
def private(plan_stack):
    return plan_stack("gcp", accessories=Secret([GATEWAY]))


@pytest.fixture(scope="module")
def both(plan_stack):
    return plan_stack("gcp", accessories=Secret([GATEWAY, HELPDESK]))


def _props(plan, type_suffix: str, name: str) -> dict:
    return unwrapped(plan.one(type_suffix, name).inputs)


def _members(plan) -> dict[str, str]:
    return {r.outputs["member"]: r.name for r in plan.find("serviceaccount/account:Account")}


def _invokers(plan, accessory: str) -> set[str]:
    return {
        unwrapped(g.inputs)["member"]
        for g in plan.find("serviceIamMember:ServiceIamMember")
        if g.parent.endswith(f"::accessory-{accessory}")
    }


@pytest.mark.parametrize("variant", ["private", "both"])
def test_plans_are_clean(variant, request):
    plan = request.getfixturevalue(variant)
    assert plan.problems == []
    assert not [v for v in plan.violations if v.blocking]


def test_accessories_and_the_private_zone_wait_for_their_apis(both):
    assert both.find("projects/service:Service", "dns")
    assert_everything_waits_for_the_apis(both)


def test_accessory_is_its_own_service_sized_for_cloud_run(private):
    service = _props(private, "cloudrunv2/service:Service", "accessory-gateway")
    assert service["name"] == "ai-service-gcp-gateway"
    container = service["template"]["containers"][0]
    assert container["image"] == GATEWAY["image"] and container["args"] == ["--listen", ":3000"]
    assert container["ports"] == {"containerPort": 3000}  # Cloud Run sets PORT=3000 for it
    assert container["startupProbe"]["tcpSocket"] == {"port": 3000}
    # 0.5 vCPU / 768 MiB is not a Cloud Run size: the smallest one holding it is 1 vCPU / 768 MiB.
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "768Mi"}
    assert service["template"]["scaling"] == {"minInstanceCount": 0, "maxInstanceCount": 1}
    assert service["deletionProtection"] is True  # follows protect, like the API
    assert "vpcAccess" not in service["template"]  # it reaches nothing private of ours


def test_cloud_run_sizes():
    assert run_size(0.25, 256) == ("1", "512Mi")  # gen2 starts at 512 MiB, fractions need sidecars
    assert run_size(1, 6144) == ("2", "6144Mi")  # > 4 GiB needs 2 vCPU
    assert run_size(3, 1024) == ("4", "2048Mi")  # 4 vCPU needs at least 2 GiB
    assert run_size(8, 32768) == ("8", "32768Mi")


def test_secret_env_is_a_pinned_secret_manager_reference_read_only_by_the_accessory(private):
    (token,) = [
        e for e in envs(private.one("cloudrunv2/service:Service", "accessory-gateway")) if e["name"] == "GATEWAY_TOKEN"
    ]
    assert "value" not in token
    assert token["valueSource"]["secretKeyRef"] == {
        "secret": "ai-service-gcp-accessory-gateway-gateway-token",
        "version": "1",
    }
    version = private.one("SecretVersion", "accessory-gateway-gateway-token")
    assert isinstance(version.inputs["secretData"], Secret) and unwrapped(version.inputs["secretData"]) == TOKEN
    readers = [
        unwrapped(g.inputs)["member"]
        for g in private.find("SecretIamMember")
        if g.parent.endswith("::accessory-gateway-gateway-token")
    ]
    assert [_members(private)[m] for m in readers] == ["accessory-gateway-sa"]
    # ...and the accessory's account reads nothing else.
    account = private.one("Account", "accessory-gateway-sa").outputs["member"]
    grants = [g for g in private.resources if "IamMember" in g.type or "IAMMember" in g.type]
    assert [g.name for g in grants if unwrapped(g.inputs)["member"] == account] == [
        "accessory-gateway-gateway-token-accessory-gateway"
    ]


def test_sentinel_never_reaches_the_plan_or_rendered_files(both):
    assert TOKEN not in json.dumps(both.as_dict())
    assert "cloudrun/accessory-gateway.json" in both.artifacts
    for path, text in both.artifacts.items():
        assert TOKEN not in str(text), path


def test_private_by_default_internal_ingress_and_only_the_service_may_invoke(private):
    service = _props(private, "cloudrunv2/service:Service", "accessory-gateway")
    assert service["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    members = _members(private)
    assert sorted(members[m] for m in _invokers(private, "gateway")) == ["sa-api", "sa-worker"]


def test_the_api_and_workers_can_reach_a_private_accessory(private):
    """Internal ingress only admits VPC traffic: the VPC resolves *.run.app to Private Google Access."""
    url = private.one("cloudrunv2/service:Service", "accessory-gateway").outputs["uri"]
    for name in ("api", "worker-documents", "worker-cleanup", "schedule-cleanup"):
        workload = next(r for r in private.resources if r.name == name and r.type.startswith("gcp:cloudrunv2"))
        assert {e["name"]: e.get("value") for e in envs(workload)}["ACCESSORY_GATEWAY_URL"] == url, name
        assert pod(workload)["vpcAccess"]["egress"] == "PRIVATE_RANGES_ONLY"
    assert "ACCESSORY_GATEWAY_URL" not in {e["name"] for e in envs(private.one("cloudrunv2/job:Job", "migrate"))}
    zone = _props(private, "ManagedZone", "run-dns")
    assert zone["dnsName"] == "run.app." and zone["visibility"] == "private"
    assert zone["privateVisibilityConfig"]["networks"] == [
        {"networkUrl": private.one("compute/network:Network").outputs.get("id", "vpc-placeholder-id")}
    ]
    wildcard = _props(private, "RecordSet", "run-dns-wildcard")
    assert wildcard["name"] == "*.run.app." and wildcard["rrdatas"] == list(PRIVATE_GOOGLE_ACCESS_VIPS)
    assert unwrapped(private.one("compute/subnetwork:Subnetwork").inputs)["privateIpGoogleAccess"] is True
    assert private.find("projects/service:Service", "dns")


def test_public_only_when_asked(both, gcp):
    helpdesk = _props(both, "cloudrunv2/service:Service", "accessory-helpdesk")
    assert helpdesk["ingress"] == "INGRESS_TRAFFIC_ALL"
    assert _invokers(both, "helpdesk") == {"allUsers"}
    assert "allUsers" not in _invokers(both, "gateway")
    # No accessory, no accessory resources (and no private run.app zone).
    assert not [r for r in gcp.resources if "accessory" in r.name or r.type.endswith("ManagedZone")]


def test_only_public_accessories_need_no_private_zone(plan_stack):
    plan = plan_stack("gcp", accessories=[HELPDESK])
    assert not plan.find("ManagedZone") and not plan.find("projects/service:Service", "dns")


def test_an_accessory_without_port_is_a_worker_pool_nothing_can_call(plan_stack):
    plan = plan_stack("gcp", accessories=[{"name": "relay", "image": "ghcr.io/example/relay:3.1.0"}])
    pool = _props(plan, "cloudrunv2/workerPool:WorkerPool", "accessory-relay")
    assert pool["scaling"] == {"scalingMode": "MANUAL", "manualInstanceCount": 1}
    assert pool["template"]["containers"][0]["resources"]["limits"] == {"cpu": "1", "memory": "512Mi"}
    assert not plan.find("serviceIamMember:ServiceIamMember", "accessory-relay-invoker-0")
    assert "ACCESSORY_RELAY_URL" not in {e["name"] for e in envs(plan.one("cloudrunv2/service:Service", "api"))}
    assert not plan.find("ManagedZone")


def test_a_release_leaves_the_accessory_untouched(plan_stack):
    first, second = (
        plan_stack("gcp", image=image, accessories=Secret([GATEWAY, HELPDESK])) for image in (IMAGE_A, IMAGE_B)
    )

    def accessory_inputs(plan):
        return {
            (r.type, r.name): json.dumps(unwrapped(r.inputs), sort_keys=True)
            for r in plan.resources
            if r.name.startswith("accessory-") or r.name.startswith("run-dns")
        }

    before, after = accessory_inputs(first), accessory_inputs(second)
    assert len(before) > 10 and before == after
    api_image = lambda plan: pod(plan.one("cloudrunv2/service:Service", "api"))["containers"][0]["image"]  # noqa: E731
    assert (api_image(first), api_image(second)) == (IMAGE_A, IMAGE_B)  # ...while the service did change


def test_accessory_cost_is_request_based(both):
    lines = {i.resource: i for i in both.cost.items}
    assert lines["accessory-gateway"].monthly_usd == 0 and "scales to zero" in lines["accessory-gateway"].basis
    assert lines["run-dns"].monthly_usd == pytest.approx(0.20)
    assert lines["accessory-gateway-gateway-token"].monthly_usd == pytest.approx(0.06)


def _api_invokers(plan) -> set[str]:
    return {
        unwrapped(g.inputs)["member"]
        for g in plan.find("serviceIamMember:ServiceIamMember")
        if unwrapped(g.inputs)["role"] == "roles/run.invoker" and g.name.startswith("api-invoker")
    }


PRIVATE_API = {"public": False, "minInstances": 1, "notificationEmail": "alerts@example.com"}


def test_an_accessory_that_calls_the_api_may_invoke_the_private_api(plan_stack):
    calling = plan_stack("gcp", accessories=Secret([{**GATEWAY, "callsApi": True}, HELPDESK]), cloudrun=PRIVATE_API)
    quiet = plan_stack("gcp", accessories=Secret([GATEWAY, HELPDESK]), cloudrun=PRIVATE_API)
    members = _members(calling)
    assert {members[m] for m in _api_invokers(calling) if m in members} == {"accessory-gateway-sa"}  # not helpdesk
    assert not _api_invokers(quiet) & set(_members(quiet))  # without callsApi no account of ours may call the API
    env = {e["name"]: e.get("value") for e in envs(calling.one("cloudrunv2/service:Service", "accessory-gateway"))}
    url = env["AI_SERVICE_API_URL"]  # https://<service>-<project number>.<region>.run.app, the API's own URL
    assert url.startswith("https://ai-service-gcp-") and url.endswith(".us-central1.run.app"), url
    helpdesk = envs(calling.one("cloudrunv2/service:Service", "accessory-helpdesk"))
    assert "AI_SERVICE_API_URL" not in {e["name"] for e in helpdesk}


def test_a_public_api_needs_no_invoker_grant_for_accessories(plan_stack):
    plan = plan_stack("gcp", accessories=Secret([{**GATEWAY, "callsApi": True}]))  # the shipped stack: public
    assert _api_invokers(plan) == {"allUsers"}
