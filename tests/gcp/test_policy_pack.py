"""The policy pack enforces the gcp rules on the props the plan produced (pulumi_policy's own types)."""

from __future__ import annotations

import copy

from infra.tooling.policy.gcp import GCP_RULES
from infra.tooling.values import unwrapped
from tests.policy.test_pack_adapters import _adapters, _args


def _reported(rule_name: str, resource_type: str, props: dict, protect: bool = False) -> list[str]:
    rule = next(r for r in GCP_RULES if r.name == rule_name)
    reported: list[str] = []
    _adapters().to_policy(rule).validate(_args(resource_type, props, protect), lambda m, urn=None: reported.append(m))
    return reported


def test_pack_passes_the_planned_database_and_rejects_a_public_one(gcp):
    db = gcp.one("DatabaseInstance")
    props = unwrapped(db.inputs)
    assert _reported("gcp-sql-private", db.type, props, protect=True) == []
    public = copy.deepcopy(props)
    public["settings"]["ipConfiguration"]["ipv4Enabled"] = True
    assert any("public IPv4" in m for m in _reported("gcp-sql-private", db.type, public, protect=True))


def test_pack_rejects_port_in_a_planned_service(gcp):
    api = gcp.one("cloudrunv2/service:Service")
    props = copy.deepcopy(unwrapped(api.inputs))
    assert _reported("gcp-run-env", api.type, props) == []
    props["template"]["containers"][0]["envs"].append({"name": "PORT", "value": "8080"})
    assert any("PORT" in m for m in _reported("gcp-run-env", api.type, props))


def test_pack_accepts_a_planned_accessory_but_not_an_api_without_liveness(plan_stack, gcp):
    plan = plan_stack(
        "gcp", accessories=[{"name": "gateway", "image": "ghcr.io/example/wa-gateway:1.4.2", "port": 3000}]
    )
    accessory = plan.one("cloudrunv2/service:Service", "accessory-gateway")
    props = copy.deepcopy(unwrapped(accessory.inputs))
    assert _reported("gcp-run-probes", accessory.type, props) == []  # TCP startup probe; no known health path
    props["template"]["containers"][0].pop("startupProbe")
    assert any("startupProbe" in m for m in _reported("gcp-run-probes", accessory.type, props))
    api = copy.deepcopy(unwrapped(gcp.one("cloudrunv2/service:Service", "api").inputs))
    api["template"]["containers"][0].pop("livenessProbe")
    assert any("livenessProbe" in m for m in _reported("gcp-run-probes", accessory.type, api))


def test_pack_requires_the_scheduler_to_authenticate_as_a_dedicated_account(gcp):
    trigger = gcp.one("cloudscheduler/job:Job", "schedule-cleanup-trigger")
    props = copy.deepcopy(unwrapped(trigger.inputs))
    assert _reported("gcp-scheduler-authenticated", trigger.type, props) == []
    default = copy.deepcopy(props)
    default["httpTarget"]["oauthToken"]["serviceAccountEmail"] = "123-compute@developer.gserviceaccount.com"
    assert any("default compute" in m for m in _reported("gcp-scheduler-authenticated", trigger.type, default))
    props["httpTarget"].pop("oauthToken")
    assert any("no OAuth/OIDC token" in m for m in _reported("gcp-scheduler-authenticated", trigger.type, props))
