"""ECS services, load balancer, autoscaling, IAM and storage of the fargate stack."""

from __future__ import annotations

import pytest

from infra.tooling.policy.aws import UNSCOPABLE_ACTIONS
from infra.tooling.policy.base import SECRET_NAME
from tests.aws.helpers import containers, props, statements

STACK = "aws"


@pytest.fixture(scope="module")
def default(plan_stack):
    return plan_stack(STACK)


@pytest.fixture(scope="module")
def with_domain(plan_stack):
    return plan_stack(STACK, domain="api.example.com", fargate={"hostedZoneId": "Z0123456789ABC"})


def test_default_plan_is_clean(default):
    assert default.problems == [] and default.violations == []


def test_production_without_a_domain_is_refused():
    from infra.settings import ConfigError
    from tests.fixtures.plan import plan_with

    with pytest.raises(ConfigError, match=r"ai-service:domain: target fargate in production needs a domain"):
        plan_with(STACK, domain=None)


def test_development_without_a_domain_serves_http_on_the_alb(plan_stack):
    result = plan_stack(STACK, domain=None, appEnv="development")
    assert result.problems == []
    listeners = [props(r) for r in result.find("lb/listener:Listener")]
    assert [(li["port"], li["protocol"], li["defaultActions"][0]["type"]) for li in listeners] == [
        (80, "HTTP", "forward")
    ]
    assert [v.policy for v in result.violations] == ["aws-listener-tls"]  # advisory
    env = {e["name"]: e["value"] for e in containers(result, "api")["api"]["environment"]}
    assert env["ALLOWED_HOSTS"] == props(result.one("LoadBalancer")).get(
        "dnsName", result.one("LoadBalancer").outputs["dnsName"]
    )


def test_every_service_rolls_back_failed_deployments(default):
    services = default.find("ecs/service:Service")
    assert sorted(s.name for s in services) == [f"{STACK}-api", f"{STACK}-cleanup", f"{STACK}-documents"]
    for s in services:
        assert props(s)["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
        assert props(s)["deploymentMinimumHealthyPercent"] == 100


def test_api_service_sits_behind_the_alb_with_a_liveness_health_check(default):
    api = props(default.one("ecs/service:Service", f"{STACK}-api"))
    assert api["desiredCount"] == 2 and api["healthCheckGracePeriodSeconds"] > 0
    assert api["loadBalancers"][0]["containerName"] == "api" and api["loadBalancers"][0]["containerPort"] == 8000
    check = props(default.one("TargetGroup"))["healthCheck"]
    assert check["path"] == "/health"  # not /health/ready: a Redis blip must not replace every task
    assert props(default.one("TargetGroup"))["targetType"] == "ip"


def test_metrics_is_not_routed_by_the_alb(default):
    rule = props(default.one("ListenerRule"))
    assert rule["conditions"] == [{"pathPattern": {"values": ["/metrics", "/metrics/*"]}}]
    assert rule["actions"][0]["type"] == "fixed-response"
    assert rule["actions"][0]["fixedResponse"]["statusCode"] == "404"


def test_api_autoscales_on_cpu_memory_and_requests(default):
    target = props(default.one("appautoscaling/target:Target"))
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 6)
    policies = {
        props(p)["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"][
            "predefinedMetricType"
        ]: props(p)["targetTrackingScalingPolicyConfiguration"]["targetValue"]
        for p in default.find("appautoscaling/policy:Policy")
    }
    assert policies == {
        "ECSServiceAverageCPUUtilization": 70,
        "ECSServiceAverageMemoryUtilization": 80,
        "ALBRequestCountPerTarget": 500,
    }
    assert (
        "desiredCount" in default.one("ecs/service:Service", f"{STACK}-api").inputs
    )  # initial count; autoscaling owns it after


def test_migrations_gate_the_api_container(default):
    api = containers(default, "api")
    assert api["migrate"]["essential"] is False and api["migrate"]["command"] == ["migrate"]
    assert api["api"]["dependsOn"] == [{"containerName": "migrate", "condition": "SUCCESS"}]
    assert api["api"]["healthCheck"]["command"][-1].endswith("/health', timeout=3)")


@pytest.mark.parametrize("family", ["api", "documents", "cleanup"])
def test_containers_are_hardened_and_get_secrets_only_by_reference(default, family):
    secret_arn = default.one("secretsmanager/secret:Secret", STACK).outputs["arn"]
    for c in containers(default, family).values():
        assert c["user"] == "10001:10001" and c["readonlyRootFilesystem"] is True
        assert not [e["name"] for e in c["environment"] if SECRET_NAME.search(e["name"])]
        if c["name"] == "migrate":  # its own secret: the database URLs only (test_owner_url_only_in_migrate)
            continue
        assert {s["name"] for s in c["secrets"]} >= {"DATABASE_URL", "REDIS_URL", "API_KEYS", "SECRET_KEY"}
        assert all(s["valueFrom"] == f"{secret_arn}:{s['name']}::" for s in c["secrets"])
        log = c["logConfiguration"]
        assert log["logDriver"] == "awslogs" and log["options"]["awslogs-group"] == f"/ecs/{STACK}/{family}"


def test_workers_follow_the_settings_list(plan_stack):
    result = plan_stack(
        STACK,
        workers=[
            {
                "name": "bulk",
                "queues": ["document_processing", "cleanup_tasks"],
                "replicas": 3,
                "cpu": 1,
                "memory": 3000,
            }
        ],
    )
    worker = props(result.one("ecs/service:Service", f"{STACK}-bulk"))
    assert worker["desiredCount"] == 3 and "loadBalancers" not in worker
    task = props(result.one("TaskDefinition", f"{STACK}-bulk"))
    assert (task["cpu"], task["memory"]) == ("1024", "3072")  # smallest Fargate size holding 1 vCPU / 3000 MiB
    assert containers(result, "bulk")["worker"]["command"] == [
        "worker",
        "--queues",
        "document_processing,cleanup_tasks",
    ]
    assert {s.name for s in result.find("ecs/service:Service")} == {f"{STACK}-api", f"{STACK}-bulk"}


def test_log_groups_keep_30_days_per_service(default):
    groups = {props(g)["name"]: props(g)["retentionInDays"] for g in default.find("LogGroup")}
    assert groups == {f"/ecs/{STACK}/{n}": 30 for n in ("api", "documents", "cleanup", "schedule-cleanup")}


def test_iam_policies_name_their_resources(default):
    bucket_arn = default.one("s3/bucket:Bucket").outputs["arn"]
    task = statements(default, f"{STACK}-task")
    assert {s["Resource"] for s in task} == {bucket_arn, f"{bucket_arn}/*"}
    execution = statements(default, f"{STACK}-execution")
    secret_arn = default.one("secretsmanager/secret:Secret", STACK).outputs["arn"]
    assert {
        "Sid": "RuntimeSecrets",
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue"],
        "Resource": secret_arn,
    } in execution
    for s in task + execution:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        assert not [a for a in actions if a == "*" or a.endswith(":*")]
        if s["Resource"] == "*":
            assert set(actions) <= UNSCOPABLE_ACTIONS


def test_bucket_is_private_encrypted_versioned_and_expires_tmp(default):
    block = props(default.one("BucketPublicAccessBlock"))
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    sse = props(default.one("BucketServerSideEncryptionConfiguration"))["rules"][0]
    assert sse["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    assert props(default.one("BucketVersioning"))["versioningConfiguration"]["status"] == "Enabled"
    rules = {r["id"]: r for r in props(default.one("BucketLifecycleConfiguration"))["rules"]}
    assert rules["expire-tmp"]["filter"] == {"prefix": "tmp/"} and rules["expire-tmp"]["expiration"]["days"] == 1
    assert rules["expire-backups"]["expiration"]["days"] == 7
    assert props(default.one("BucketOwnershipControls"))["rule"]["objectOwnership"] == "BucketOwnerEnforced"


@pytest.mark.parametrize("protect", [True, False])
def test_protect_guards_database_and_bucket(plan_stack, default, protect):
    result = default if protect else plan_stack(STACK, protect=False)  # protect defaults to true
    db = result.one("rds/instance:Instance")
    assert db.protect is protect and props(db)["deletionProtection"] is protect
    assert result.one("s3/bucket:Bucket").protect is protect


def test_without_a_zone_the_certificate_validation_record_is_an_output(default):
    assert default.find("route53/record:Record") == [] and default.find("CertificateValidation") == []
    assert default.outputs["certificateValidation"][0]["type"] == "CNAME"
    listeners = {props(r)["port"]: props(r) for r in default.find("lb/listener:Listener")}
    assert listeners[443]["certificateArn"] == default.one("Certificate").outputs["arn"]


def test_domain_gets_https_with_acm_and_a_redirect(with_domain):
    assert with_domain.problems == [] and with_domain.violations == []
    listeners = {props(r)["port"]: props(r) for r in with_domain.find("lb/listener:Listener")}
    assert listeners[443]["protocol"] == "HTTPS" and listeners[443]["sslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    assert listeners[443]["certificateArn"].startswith("arn:aws:acm:")
    assert listeners[80]["defaultActions"][0]["redirect"] == {
        "port": "443",
        "protocol": "HTTPS",
        "statusCode": "HTTP_301",
    }
    assert props(with_domain.one("ListenerRule"))["listenerArn"].endswith(f"listener/{STACK}-https")
    assert props(with_domain.one("Certificate"))["validationMethod"] == "DNS"
    alias = props(with_domain.one("route53/record:Record", f"{STACK}-alias"))
    assert alias["name"] == "api.example.com" and alias["zoneId"] == "Z0123456789ABC"
    check = props(with_domain.one("HealthCheck"))
    assert (check["fqdn"], check["type"], check["resourcePath"]) == ("api.example.com", "HTTPS", "/health")


def test_alarms_use_the_shared_thresholds(default):
    from infra.render.observability.thresholds import ERROR_RATE, LATENCY_P95

    alarms = {a.name: props(a) for a in default.find("MetricAlarm")}
    assert alarms[f"{STACK}-5xx-rate"]["threshold"] == ERROR_RATE.max_ratio
    assert alarms[f"{STACK}-p95-latency"]["threshold"] == LATENCY_P95.max_seconds
    assert alarms[f"{STACK}-p95-latency"]["extendedStatistic"] == "p95"
    assert alarms[f"{STACK}-unhealthy-targets"]["metricName"] == "UnHealthyHostCount"
    assert alarms[f"{STACK}-uptime"]["namespace"] == "AWS/Route53"
    budget = props(default.one("budgets/budget:Budget"))
    assert budget["limitAmount"] == "220" and budget["timeUnit"] == "MONTHLY"


def test_default_cost_counts_public_ipv4_and_fits_the_budget(default):
    ipv4 = sum(i.monthly_usd for i in default.cost.items if "public IPv4" in i.basis)
    # 5 tasks + 2 ALB addresses all month, and the hourly cleanup job's task for 2 minutes a run.
    assert ipv4 == pytest.approx((2 + 2 + 1 + 2) * 0.005 * 730 + 730 * 2 / 60 * 0.005)
    assert 150 < default.cost.monthly_usd <= 220
