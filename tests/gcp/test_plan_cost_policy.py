"""The whole gcp plan: CLI exit code, cost with and without min instances, policies, config errors, alerts."""

from __future__ import annotations

import json

import pytest

from infra.render.observability import thresholds
from infra.settings import ConfigError
from infra.tooling.policy import ResourceRule, ResourceView
from infra.tooling.policy.gcp import GCP_RULES
from infra.tooling.values import unwrapped
from tests.fixtures.plan import plan_with, run_cli, stack_file


def test_plan_json_exits_zero_offline_and_renders_the_cloudrun_specs(tmp_path):
    result = run_cli("plan", "gcp", "--config-file", str(stack_file("gcp")), "--json", "--render", str(tmp_path))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["target"] == "cloudrun"
    assert report["cost"]["monthly_usd"] > 0
    assert not [v for v in report["policy"]["violations"] if v["level"] == "mandatory" and not v.get("waiver")]
    rendered = sorted(p.name for p in (tmp_path / "cloudrun").glob("*.json"))
    assert rendered == [
        "api.json",
        "migrate.json",
        "schedule-cleanup.json",
        "worker-cleanup.json",
        "worker-documents.json",
    ]
    api = json.loads((tmp_path / "cloudrun" / "api.json").read_text())
    assert api["containers"][0]["startup_probe"]["http_get"]["path"] == "/health/ready"


def _api_cost(plan) -> float:
    return sum(i.monthly_usd for i in plan.cost.items if i.resource == "api")


def test_min_instances_cost_is_the_idle_price_of_the_kept_instance(gcp, plan_stack):
    cold = plan_stack("gcp", cloudrun={"public": True, "minInstances": 0, "notificationEmail": "alerts@example.com"})
    # 1 x (2 vCPU + 2 GiB) x 730 h x 3600 s x $0.0000025
    assert _api_cost(gcp) == pytest.approx(26.28, abs=0.01)
    assert _api_cost(cold) == 0
    assert gcp.cost.monthly_usd - cold.cost.monthly_usd == pytest.approx(26.28, abs=0.02)
    lines = {i.resource: i.monthly_usd for i in gcp.cost.items}
    assert lines["redis"] == pytest.approx(35.77, abs=0.01)  # 1 GB Basic x $0.049 x 730
    assert lines["worker-documents"] == pytest.approx(2 * 730 * 3600 * (0.000018 + 0.5 * 0.000002), abs=0.01)


def test_budget_fails_the_plan_when_the_estimate_exceeds_it():
    result = plan_with("gcp", budgetMonthlyUsd=50)
    assert any(p.startswith("ai-service:budgetMonthlyUsd:") for p in result.problems)


def test_billing_budget_alert_when_a_billing_account_is_configured(plan_stack):
    plan = plan_stack(
        "gcp",
        budgetMonthlyUsd=400,
        cloudrun={"billingAccount": "012345-6789AB-CDEF01", "notificationEmail": "ops@example.com"},
    )
    budget = unwrapped(plan.one("billing/budget:Budget").inputs)
    assert budget["billingAccount"] == "012345-6789AB-CDEF01"
    assert budget["amount"]["specifiedAmount"] == {"currencyCode": "USD", "units": "400"}
    assert budget["budgetFilter"]["projects"] == ["projects/000000000000"]
    assert budget["allUpdatesRule"]["monitoringNotificationChannels"]
    assert plan.find("projects/service:Service", "billingbudgets")
    assert not plan.problems


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"cloudrun": {"apiCpu": 3}}, "ai-service:cloudrun.apiCpu"),
        ({"cloudrun": {"dbTier": "db-n1-huge"}}, "ai-service:cloudrun.dbTier"),
        ({"cloudrun": {"minInstances": 5, "maxInstances": 2}}, "ai-service:cloudrun.minInstances"),
        ({"cloudrun": {"billingAccount": "012345-6789AB-CDEF01"}}, "ai-service:budgetMonthlyUsd"),
        ({"cloudrun": {"ingres": "all"}}, "ai-service:cloudrun.ingres"),
        ({"cloudrun": {"maxInstances": 10}}, "ai-service:cloudrun.maxInstances"),  # 10 x 2 x 5 + 4 > 47
        ({"cloudrun": {"dbTier": "db-f1-micro"}}, "ai-service:cloudrun.maxInstances"),  # 44 > 22
        ({"database": {"size": "db-s-1vcpu-1gb"}}, "ai-service:database.size"),
        ({"domain": "api.example.com", "cloudrun": {"ingress": "internal"}}, "ai-service:cloudrun.ingress"),
    ],
)
def test_bad_cloudrun_config_is_one_line_naming_the_key(overrides, key):
    with pytest.raises(ConfigError) as error:
        plan_with("gcp", **overrides)
    assert any(line.startswith(key + ":") for line in error.value.problems), error.value.problems


def test_alert_policies_use_the_shared_thresholds(gcp):
    policies = {p.name.removeprefix("monitoring-"): unwrapped(p.inputs) for p in gcp.find("AlertPolicy")}
    assert set(policies) == {
        "api-down",
        "error-rate",
        "latency-p95",
        "memory",
        "database-disk",
        "redis-memory",
        "job-failures",
    }
    error = policies["error-rate"]["conditions"][0]["conditionThreshold"]
    assert error["thresholdValue"] == thresholds.ERROR_RATE.max_ratio
    assert error["duration"] == f"{thresholds.ERROR_RATE.for_s}s"
    assert 'response_code_class = "5xx"' in error["filter"] and error["denominatorFilter"]
    latency = policies["latency-p95"]["conditions"][0]["conditionThreshold"]
    assert latency["thresholdValue"] == thresholds.LATENCY_P95.max_seconds * 1000
    down = policies["api-down"]["conditions"][0]["conditionThreshold"]
    uptime = gcp.one("UptimeCheckConfig")
    assert uptime.outputs["uptimeCheckId"] in down["filter"]
    assert down["duration"] == f"{thresholds.API_DOWN.for_s}s"
    assert policies["api-down"]["severity"] == "CRITICAL"
    channel = gcp.one("NotificationChannel")
    assert unwrapped(channel.inputs)["labels"] == {"email_address": "alerts@example.com"}  # a map: not camelCased
    assert all(p["notificationChannels"] == [channel.outputs["name"]] for p in policies.values())
    check = unwrapped(uptime.inputs)
    assert check["httpCheck"]["path"] == "/health" and check["httpCheck"]["useSsl"] is True
    assert check["monitoredResource"]["labels"]["host"] == "ai-service-gcp-placeholder.run.app.invalid"


def _violations(type_: str, props: dict, protect: bool = False) -> list[str]:
    view = ResourceView(type=type_, name="r", props=props, protect=protect)
    return [m for rule in GCP_RULES if isinstance(rule, ResourceRule) for m in rule.check(view)]


@pytest.mark.parametrize(
    ("type_", "props", "needle"),
    [
        ("gcp:projects/iAMMember:IAMMember", {"role": "roles/editor", "member": "serviceAccount:x"}, "primitive role"),
        (
            "gcp:storage/bucketIAMMember:BucketIAMMember",
            {"role": "roles/storage.objectViewer", "member": "allUsers", "bucket": "b"},
            "allUsers",
        ),
        (
            "gcp:cloudrunv2/service:Service",
            {"deletionProtection": False, "template": {"containers": [{"startupProbe": {}, "livenessProbe": {}}]}},
            "default compute",
        ),
        (
            "gcp:cloudrunv2/job:Job",
            {
                "deletionProtection": False,
                "template": {"template": {"serviceAccount": "1-compute@developer.gserviceaccount.com"}},
            },
            "default compute",
        ),
        (
            "gcp:cloudrunv2/workerPool:WorkerPool",
            {
                "deletionProtection": False,
                "template": {"serviceAccount": "a", "containers": [{"envs": [{"name": "PORT", "value": "8080"}]}]},
            },
            "PORT",
        ),
        (
            "gcp:cloudrunv2/workerPool:WorkerPool",
            {
                "deletionProtection": False,
                "template": {
                    "serviceAccount": "a",
                    "containers": [
                        {"envs": [{"name": "X", "valueSource": {"secretKeyRef": {"secret": "s", "version": "latest"}}}]}
                    ],
                },
            },
            "latest",
        ),
        ("gcp:cloudrunv2/workerPool:WorkerPool", {"template": {"serviceAccount": "a"}}, "deletion_protection"),
        (
            "gcp:sql/databaseInstance:DatabaseInstance",
            {
                "settings": {
                    "tier": "db-f1-micro",
                    "edition": "ENTERPRISE",
                    "ipConfiguration": {"ipv4Enabled": True, "privateNetwork": "n", "sslMode": "ENCRYPTED_ONLY"},
                    "backupConfiguration": {"enabled": True, "pointInTimeRecoveryEnabled": True},
                }
            },
            "public IPv4",
        ),
        (
            "gcp:sql/databaseInstance:DatabaseInstance",
            {
                "databaseVersion": "POSTGRES_16",
                "settings": {
                    "tier": "db-g1-small",
                    "ipConfiguration": {"ipv4Enabled": False, "privateNetwork": "n", "sslMode": "ENCRYPTED_ONLY"},
                    "backupConfiguration": {"enabled": True, "pointInTimeRecoveryEnabled": True},
                },
            },
            "ENTERPRISE",
        ),
        (
            "gcp:storage/bucket:Bucket",
            {
                "uniformBucketLevelAccess": True,
                "publicAccessPrevention": "inherited",
                "versioning": {"enabled": True},
                "lifecycleRules": [{"condition": {"matchesPrefixes": ["tmp/"]}}],
            },
            "public access prevention",
        ),
        (
            "gcp:redis/instance:Instance",
            {"authEnabled": True, "transitEncryptionMode": "DISABLED", "authorizedNetwork": "n"},
            "in-transit",
        ),
    ],
)
def test_gcp_policies_reject_the_unsafe_variant(type_, props, needle):
    found = _violations(type_, props)
    assert any(needle in m for m in found), found


def test_gcp_policies_pass_the_planned_stack(gcp):
    assert not [v for v in gcp.violations if v.blocking]
    assert not gcp.problems


def test_readme_cost_table_matches_the_plan(gcp, plan_stack):
    from infra.tooling.plan.stackfile import PROJECT_ROOT

    page = (PROJECT_ROOT / "docs" / "targets" / "cloudrun.md").read_text()
    section = page.split("<!-- section:cloudrun:start -->")[1].split("<!-- section:cloudrun:end -->")[0]
    cold = plan_stack("gcp", cloudrun={"public": True, "minInstances": 0, "notificationEmail": "alerts@example.com"})
    assert f"**${gcp.cost.monthly_usd:.2f}/month**" in section
    assert f"**${cold.cost.monthly_usd:.2f}/month**" in section


def test_job_failure_ratio_alert_counts_the_workers_log_events(gcp):
    import inspect

    from ai_service import jobs

    metrics = {
        m.name.removeprefix("monitoring-documents-"): unwrapped(m.inputs) for m in gcp.find("logging/metric:Metric")
    }
    assert metrics["failed"]["filter"] == 'jsonPayload.event = ("document_failed")'
    assert metrics["finished"]["filter"] == 'jsonPayload.event = ("document_indexed" OR "document_failed")'
    source = inspect.getsource(jobs)  # the events the worker really logs (structlog `event`)
    assert '"document_failed"' in source and '"document_indexed"' in source
    policy = gcp.one("AlertPolicy", "monitoring-job-failures")
    condition = unwrapped(policy.inputs)["conditions"][0]["conditionThreshold"]
    assert condition["filter"] == 'metric.type = "logging.googleapis.com/user/ai-service-gcp-documents-failed"'
    assert condition["denominatorFilter"].endswith('user/ai-service-gcp-documents-finished"')
    assert condition["thresholdValue"] == thresholds.JOB_FAILURES.max_ratio
    assert {m.urn for m in gcp.find("logging/metric:Metric")} <= set(policy.dependencies)


def test_connection_budget_accepts_what_fits(plan_stack):
    plan = plan_stack("gcp", cloudrun={"dbTier": "db-f1-micro", "maxInstances": 2}, database={"poolSize": 4})
    assert not plan.problems  # 2 x 2 x 4 + 3 + 1 = 20 <= 22
    env = {
        e["name"]: e.get("value")
        for c in unwrapped(plan.one("cloudrunv2/service:Service").inputs)["template"]["containers"]
        for e in c["envs"]
    }
    assert env["DB_POOL_SIZE"] == "4"
