"""The rendered Cloud Run templates and the monitoring resources parse as the Google APIs' own
messages (google-cloud-run / google-cloud-monitoring protos): unknown fields, wrong enum names
or malformed durations fail here instead of at `pulumi up`."""

from __future__ import annotations

import copy
import json
import warnings

import pytest
from google.protobuf import json_format

from infra.tooling.values import Secret, unwrapped
from tests.gcp.test_own_app import OWN_APP


@pytest.fixture(scope="module")
def apis():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # google-api-core's Python-version notice
        from google.cloud import monitoring_v3, run_v2
    return run_v2, monitoring_v3


def _api_containers(template: dict) -> dict:
    """The provider's argument names -> the API's: `envs` is `env`, `commands` is `command`, `ports` is a list."""
    template = copy.deepcopy(template)
    for container in template.get("containers", []):
        container["env"] = container.pop("envs", [])
        if "commands" in container:
            container["command"] = container.pop("commands")
        if "ports" in container:
            container["ports"] = [container["ports"]]
    return template


def _parse(message_cls, data: dict):
    return json_format.ParseDict(data, message_cls.pb(message_cls()))


def test_rendered_service_job_and_worker_pool_templates_are_valid_api_messages(gcp, apis):
    run_v2, _ = apis
    api = _parse(run_v2.RevisionTemplate, _api_containers(json.loads(gcp.artifacts["cloudrun/api.json"])))
    assert list(api.containers[0].command) == ["ai-service"] and list(api.containers[0].args) == ["api"]
    assert api.containers[0].startup_probe.http_get.path == "/health/ready"
    assert api.containers[0].liveness_probe.http_get.path == "/health"
    assert api.timeout.seconds == 300 and api.scaling.min_instance_count == 1
    assert api.vpc_access.egress == run_v2.VpcAccess.VpcEgress.PRIVATE_RANGES_ONLY
    assert {e.name for e in api.containers[0].env if e.value_source.secret_key_ref.version}

    job = json.loads(gcp.artifacts["cloudrun/migrate.json"])
    job["template"] = _api_containers(job["template"])
    execution = _parse(run_v2.ExecutionTemplate, job)
    assert execution.task_count == 1 and list(execution.template.containers[0].args) == ["migrate"]

    for group in ("documents", "cleanup"):
        pool = _parse(
            run_v2.WorkerPoolRevisionTemplate,
            _api_containers(json.loads(gcp.artifacts[f"cloudrun/worker-{group}.json"])),
        )
        assert pool.containers[0].args[0] == "worker"


def test_own_app_templates_are_valid_api_messages(plan_stack, apis):
    run_v2, _ = apis
    own = plan_stack("gcp", **OWN_APP)
    api = _parse(run_v2.RevisionTemplate, _api_containers(json.loads(own.artifacts["cloudrun/api.json"])))
    container = api.containers[0]
    assert list(container.command) == ["/app/bin/serve"] and container.ports[0].container_port == 8080
    assert container.startup_probe.http_get.path == "/readyz" and container.liveness_probe.http_get.path == "/livez"
    for name in ("migrate", "schedule-digest"):
        job = json.loads(own.artifacts[f"cloudrun/{name}.json"])
        job["template"] = _api_containers(job["template"])
        assert _parse(run_v2.ExecutionTemplate, job).template.containers[0].command


def test_service_level_enums_exist_in_the_api(gcp, apis):
    run_v2, _ = apis
    service = unwrapped(gcp.one("cloudrunv2/service:Service").inputs)
    assert run_v2.IngressTraffic[service["ingress"]]
    assert run_v2.TrafficTargetAllocationType[service["traffics"][0]["type"]]


def test_alert_policies_and_uptime_check_are_valid_api_messages(gcp, apis):
    _, monitoring_v3 = apis
    for policy in gcp.find("AlertPolicy"):
        props = unwrapped(policy.inputs)
        parsed = _parse(
            monitoring_v3.AlertPolicy,
            {
                k: props[k]
                for k in (
                    "displayName",
                    "severity",
                    "combiner",
                    "conditions",
                    "documentation",
                    "alertStrategy",
                    "notificationChannels",
                )
            },
        )
        assert parsed.conditions[0].condition_threshold.duration.seconds > 0, policy.name
    uptime = unwrapped(gcp.one("UptimeCheckConfig").inputs)
    check = _parse(
        monitoring_v3.UptimeCheckConfig,
        {
            k: uptime[k]
            for k in ("displayName", "timeout", "period", "selectedRegions", "httpCheck", "monitoredResource")
        },
    )
    assert check.http_check.path == "/health" and check.period.seconds == 60


def test_accessory_and_schedule_templates_are_valid_api_messages(plan_stack, apis):
    run_v2, _ = apis
    plan = plan_stack(
        "gcp",
        accessories=Secret(
            [
                {
                    "name": "gateway",
                    "image": "ghcr.io/example/wa-gateway:1.4.2",
                    "port": 3000,
                    "secretEnv": {"GATEWAY_TOKEN": "x-token"},
                },
                {"name": "relay", "image": "ghcr.io/example/relay:3.1.0"},
            ]
        ),
    )
    accessory = _parse(
        run_v2.RevisionTemplate, _api_containers(json.loads(plan.artifacts["cloudrun/accessory-gateway.json"]))
    )
    container = accessory.containers[0]
    assert container.ports[0].container_port == 3000 and container.startup_probe.tcp_socket.port == 3000
    assert container.env[0].value_source.secret_key_ref.version == "1"
    assert accessory.scaling.min_instance_count == 0
    relay = _parse(
        run_v2.WorkerPoolRevisionTemplate, _api_containers(json.loads(plan.artifacts["cloudrun/accessory-relay.json"]))
    )
    assert relay.containers[0].image == "ghcr.io/example/relay:3.1.0"
    service = unwrapped(plan.one("cloudrunv2/service:Service", "accessory-gateway").inputs)
    assert run_v2.IngressTraffic[service["ingress"]] == run_v2.IngressTraffic.INGRESS_TRAFFIC_INTERNAL_ONLY

    job = json.loads(plan.artifacts["cloudrun/schedule-cleanup.json"])
    job["template"] = _api_containers(job["template"])
    execution = _parse(run_v2.ExecutionTemplate, job)
    assert execution.parallelism == 1 and execution.template.timeout.seconds == 300
    assert list(execution.template.containers[0].args) == ["enqueue-cleanup"]


def test_scheduler_target_is_the_run_admin_api_run_method(gcp):
    """The URI Cloud Scheduler POSTs matches RunJob's HTTP rule in google-cloud-run's REST transport."""
    from google.api_core import path_template
    from google.cloud.run_v2.services.jobs.transports.base import JobsTransport
    from google.cloud.run_v2.services.jobs.transports.rest_base import _BaseJobsRestTransport

    (rule,) = _BaseJobsRestTransport._BaseRunJob._get_http_options()
    target = unwrapped(gcp.one("cloudscheduler/job:Job", "schedule-cleanup-trigger").inputs)["httpTarget"]
    prefix = f"https://{JobsTransport.DEFAULT_HOST}"
    assert target["httpMethod"].lower() == rule["method"] and target["uri"].startswith(prefix)
    assert path_template.validate(rule["uri"], target["uri"].removeprefix(prefix))
