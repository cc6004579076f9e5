"""Accessories on Fargate: own ECS service, secret env only via Secrets Manager, reachable
by name from the service's tasks only (and from the ALB under /<name>/* when public)."""

from __future__ import annotations

import json

import pytest

from infra.tooling.plan.render import write_artifacts
from infra.tooling.plan.report import json_report, text_report
from infra.tooling.policy.base import OPEN_WORLD
from infra.tooling.values import Secret
from tests.aws.helpers import containers, moto_client, props, sg_id, statements, validate_request

STACK = "aws"
TOKEN = "SENTINEL-gateway-token-3c9e"
GATEWAY = {
    "name": "gateway",
    "image": "ghcr.io/example/wa-gateway:1.4.2",
    "port": 3000,
    "env": {"LOG_FORMAT": "json"},
    "secretEnv": {"GATEWAY_TOKEN": TOKEN},
    "memory": 512,
    "cpu": 0.5,
}
HELPDESK = {"name": "helpdesk", "image": "docker.io/example/helpdesk:2.0.1", "port": 8080, "public": True}
FAMILY = f"{STACK}-accessory-gateway"


@pytest.fixture(scope="module")
def private(plan_stack):
    return plan_stack(STACK, accessories=Secret([GATEWAY]))


@pytest.fixture(scope="module")
def public(plan_stack):
    return plan_stack(
        STACK, accessories=Secret([GATEWAY, HELPDESK]), budgetMonthlyUsd=0
    )  # two more tasks pass the $220 default


def _ingress_into(result, group: str) -> list[tuple[str, int, int]]:
    rules = [props(r) for r in result.find("SecurityGroupIngressRule") if props(r)["securityGroupId"] == sg_id(group)]
    assert all("cidrIpv4" not in r and "cidrIpv6" not in r for r in rules)
    return sorted((r["referencedSecurityGroupId"], r["fromPort"], r["toPort"]) for r in rules)


def _accessory_secret(result):
    return result.one("secretsmanager/secret:Secret", FAMILY)


@pytest.mark.parametrize("variant", ["private", "public"])
def test_plans_are_clean_and_world_ingress_stays_on_the_alb(variant, request):
    result = request.getfixturevalue(variant)
    assert result.problems == [] and result.violations == []
    open_rules = [
        props(r)
        for r in result.find("SecurityGroupIngressRule")
        if {props(r).get("cidrIpv4"), props(r).get("cidrIpv6")} & OPEN_WORLD
    ]
    assert sorted((r["securityGroupId"], r["fromPort"]) for r in open_rules) == [
        (sg_id(f"{STACK}-alb"), 80),
        (sg_id(f"{STACK}-alb"), 443),
    ]


def test_accessory_is_its_own_fargate_service_sized_from_config(private):
    service = props(private.one("ecs/service:Service", FAMILY))
    assert service["desiredCount"] == 1 and service["launchType"] == "FARGATE"
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["networkConfiguration"]["securityGroups"] == [sg_id(FAMILY)]
    assert service["serviceRegistries"]["registryArn"] == private.one("servicediscovery/service:Service").outputs["arn"]
    assert "loadBalancers" not in service
    task = props(private.one("TaskDefinition", FAMILY))
    assert (task["cpu"], task["memory"]) == ("512", "1024")  # smallest Fargate size holding 0.5 vCPU / 512 MiB
    assert "taskRoleArn" not in task  # a third-party container gets no AWS identity
    gateway = containers(private, "accessory-gateway")["gateway"]
    assert (gateway["image"], gateway["memory"], gateway["cpu"]) == ("ghcr.io/example/wa-gateway:1.4.2", 512, 512)
    assert "command" not in gateway  # the image's own CMD
    assert gateway["portMappings"] == [{"containerPort": 3000, "protocol": "tcp", "name": "gateway-http"}]
    assert gateway["user"] == "10001:10001" and gateway["readonlyRootFilesystem"] is True
    assert gateway["logConfiguration"]["options"]["awslogs-group"] == f"/ecs/{STACK}/accessory-gateway"
    groups = {props(g)["name"]: props(g)["retentionInDays"] for g in private.find("LogGroup")}
    assert groups[f"/ecs/{STACK}/accessory-gateway"] == 30


def test_secret_env_reaches_the_container_only_by_reference(private):
    gateway = containers(private, "accessory-gateway")["gateway"]
    assert gateway["environment"] == [{"name": "LOG_FORMAT", "value": "json"}]
    arn = _accessory_secret(private).outputs["arn"]
    assert gateway["secrets"] == [{"name": "GATEWAY_TOKEN", "valueFrom": f"{arn}:GATEWAY_TOKEN::"}]
    version = private.one("secretsmanager/secretVersion:SecretVersion", FAMILY).inputs["secretString"]
    assert json.loads(version.value) == {"GATEWAY_TOKEN": TOKEN}  # a Pulumi secret holding the value


def test_execution_roles_read_only_their_own_secret(private):
    accessory_secret = _accessory_secret(private).outputs["arn"]
    service_secret = private.one("secretsmanager/secret:Secret", STACK).outputs["arn"]
    reads = {
        s["Sid"]: s["Resource"] for s in statements(private, f"{FAMILY}-execution") if s["Sid"].endswith("Secrets")
    }
    assert reads == {"AccessorySecrets": accessory_secret}
    migrate_secret = private.one("secretsmanager/secret:Secret", f"{STACK}-migrate").outputs["arn"]
    service_reads = [
        s["Resource"]
        for s in statements(private, f"{STACK}-execution")
        if "secretsmanager:GetSecretValue" in s["Action"]
    ]
    assert service_reads == [service_secret, migrate_secret]


def test_sentinel_never_in_plan_output_or_rendered_files(private, tmp_path):
    report = json_report(private) + text_report(private)
    assert TOKEN not in report
    written = write_artifacts(private, tmp_path)
    assert tmp_path / "ecs" / "accessory-gateway.json" in written
    assert [p for p in written if TOKEN in p.read_text()] == []


def test_only_the_services_tasks_reach_a_private_accessory(private):
    assert _ingress_into(private, FAMILY) == [(sg_id(f"{STACK}-tasks"), 3000, 3000)]
    assert [
        r
        for r in private.find("ListenerRule")
        if props(r)["conditions"][0]["pathPattern"]["values"] != ["/metrics", "/metrics/*"]
    ] == []
    assert [t.name for t in private.find("TargetGroup")] == [f"{STACK}-api"]
    # The accessory's group is not admitted to the data stores.
    assert _ingress_into(private, f"{STACK}-db") == [(sg_id(f"{STACK}-tasks"), 5432, 5432)]


def test_service_containers_find_the_accessory_by_name(private):
    namespace = props(private.one("PrivateDnsNamespace"))
    assert namespace["name"] == f"{STACK}.internal" and namespace["vpc"] == f"{STACK}-placeholder-id"
    dns = props(private.one("servicediscovery/service:Service"))["dnsConfig"]
    assert dns["namespaceId"] == f"{STACK}-accessories-placeholder-id" and dns["dnsRecords"] == [
        {"type": "A", "ttl": 10}
    ]
    for family, name in (("api", "api"), ("api", "migrate"), ("documents", "worker"), ("schedule-cleanup", "job")):
        env = {e["name"]: e["value"] for e in containers(private, family)[name]["environment"]}
        assert env["ACCESSORY_GATEWAY_URL"] == f"http://gateway.{STACK}.internal:3000"


def test_public_accessory_gets_a_path_rule_and_its_own_target_group(public):
    rules = {tuple(props(r)["conditions"][0]["pathPattern"]["values"]): props(r) for r in public.find("ListenerRule")}
    assert set(rules) == {("/metrics", "/metrics/*"), ("/helpdesk/*",)}
    target_group = public.one("TargetGroup", f"{STACK}-accessory-helpdesk")
    assert rules[("/helpdesk/*",)]["actions"] == [{"type": "forward", "targetGroupArn": target_group.outputs["arn"]}]
    assert rules[("/helpdesk/*",)]["priority"] > rules[("/metrics", "/metrics/*")]["priority"]
    assert (props(target_group)["port"], props(target_group)["targetType"]) == (8080, "ip")
    service = props(public.one("ecs/service:Service", f"{STACK}-accessory-helpdesk"))
    assert service["loadBalancers"] == [
        {"targetGroupArn": target_group.outputs["arn"], "containerName": "helpdesk", "containerPort": 8080}
    ]
    assert _ingress_into(public, f"{STACK}-accessory-helpdesk") == sorted(
        [(sg_id(f"{STACK}-alb"), 8080, 8080), (sg_id(f"{STACK}-tasks"), 8080, 8080)]
    )
    alb_egress = sorted(
        (props(r)["referencedSecurityGroupId"], props(r)["fromPort"])
        for r in public.find("SecurityGroupEgressRule")
        if props(r)["securityGroupId"] == sg_id(f"{STACK}-alb")
    )
    assert alb_egress == sorted([(sg_id(f"{STACK}-tasks"), 8000), (sg_id(f"{STACK}-accessory-helpdesk"), 8080)])
    assert _ingress_into(public, FAMILY) == [(sg_id(f"{STACK}-tasks"), 3000, 3000)]  # the private one stays private


def _accessory_resources(result) -> dict[str, dict]:
    """Inputs of every resource that belongs to an accessory (by name), plus the shared namespace."""
    return {
        f"{r.type} {r.name}": r.inputs
        for r in result.resources
        if "accessory-" in r.name or r.name == f"{STACK}-accessories"
    }


def test_a_service_image_change_leaves_accessories_untouched(plan_stack):
    a, b = (
        plan_stack(
            STACK, accessories=Secret([GATEWAY, HELPDESK]), image=f"registry.example.com/ai-service@sha256:{c * 64}"
        )
        for c in "ab"
    )
    assert containers(a, "api")["api"]["image"] != containers(b, "api")["api"]["image"]
    before, after = _accessory_resources(a), _accessory_resources(b)
    assert len(before) > 20 and before == after


def test_accessory_cost_lines(private):
    lines = {
        (i.resource, i.basis): i.monthly_usd
        for i in private.cost.items
        if "accessor" in i.resource or "accessor" in i.basis
    }
    assert lines[(FAMILY, "1 task(s) × 0.5 vCPU/1 GB × 730 h Fargate (Linux/x86)")] == pytest.approx(
        730 * (0.5 * 0.04048 + 1 * 0.004445)
    )
    assert lines[(FAMILY, "1 public IPv4 address(es) × $0.005/h (tasks in public subnets)")] == pytest.approx(3.65)
    assert lines[(f"{STACK}-accessories", "Cloud Map private DNS namespace: one Route 53 private hosted zone")] == 0.5
    assert lines[(FAMILY, "one registered instance (1 accessory task)")] == 0.1


def test_volumes_are_refused_before_anything_is_planned():
    from infra.settings import ConfigError
    from tests.fixtures.plan import plan_with

    with pytest.raises(ConfigError, match=r"accessories\[0\]\.volumes: target fargate has no persistent volumes"):
        plan_with(STACK, accessories=Secret([{**GATEWAY, "volumes": [{"name": "data", "path": "/data"}]}]))


def test_rendered_accessory_task_definition_registers_with_ecs(private, s3_server):
    request = json.loads(private.artifacts["ecs/accessory-gateway.json"])
    validate_request("ecs", "RegisterTaskDefinition", request)
    registered = moto_client("ecs", s3_server.endpoint).register_task_definition(**request)["taskDefinition"]
    assert (
        registered["family"] == FAMILY
        and registered["containerDefinitions"][0]["secrets"][0]["name"] == "GATEWAY_TOKEN"
    )
    assert (
        json.loads(props(private.one("TaskDefinition", FAMILY))["containerDefinitions"])
        == request["containerDefinitions"]
    )


def test_accessory_execution_policy_is_valid_iam(private, s3_server):
    from infra.components.aws.common import assume_role_policy

    document = props(private.one("RolePolicy", f"{FAMILY}-execution"))["policy"]
    iam = moto_client("iam", s3_server.endpoint)
    iam.create_role(
        RoleName="validate-accessory", AssumeRolePolicyDocument=assume_role_policy("ecs-tasks.amazonaws.com")
    )
    iam.put_role_policy(RoleName="validate-accessory", PolicyName="inline", PolicyDocument=document)


def test_an_accessory_that_calls_the_api_reaches_the_api_tasks_by_name(plan_stack, private):
    calling = plan_stack(STACK, accessories=Secret([{**GATEWAY, "callsApi": True}]), budgetMonthlyUsd=0)  # +$0.10
    assert calling.problems == [] and calling.violations == []
    # The service's tasks admit the API port from the ALB, and from this accessory only when it asked.
    tasks = sg_id(f"{STACK}-tasks")
    assert (sg_id(FAMILY), 8000, 8000) in _ingress_into(calling, f"{STACK}-tasks")
    assert (sg_id(FAMILY), 8000, 8000) not in _ingress_into(private, f"{STACK}-tasks")
    assert _ingress_into(calling, FAMILY) == [(tasks, 3000, 3000)]  # nothing else changes for the accessory
    # The API tasks register as api.<stack>.internal; the accessory is told that URL.
    api_dns = calling.one("servicediscovery/service:Service", f"{STACK}-api")
    assert props(api_dns)["name"] == "api"
    api = props(calling.one("ecs/service:Service", f"{STACK}-api"))
    assert api["serviceRegistries"]["registryArn"] == api_dns.outputs["arn"]
    assert "serviceRegistries" not in props(private.one("ecs/service:Service", f"{STACK}-api"))
    gateway = {e["name"]: e["value"] for e in containers(calling, "accessory-gateway")["gateway"]["environment"]}
    assert gateway["AI_SERVICE_API_URL"] == f"http://api.{STACK}.internal:8000"
    # The service answers that name over plain HTTP (no HTTPS redirect, an allowed Host).
    env = {e["name"]: e["value"] for e in containers(calling, "api")["api"]["environment"]}
    assert env["INTERNAL_HOSTS"] == f"api.{STACK}.internal"
    assert env["ALLOWED_HOSTS"].split(",")[-1] == f"api.{STACK}.internal"
    plain = {e["name"]: e["value"] for e in containers(private, "api")["api"]["environment"]}
    assert "INTERNAL_HOSTS" not in plain and "AI_SERVICE_API_URL" not in {
        e["name"] for e in containers(private, "accessory-gateway")["gateway"]["environment"]
    }
