"""Who can reach what on the fargate stack: only the ALB faces the internet."""

from __future__ import annotations

import pytest

from infra.tooling.policy.base import OPEN_WORLD
from tests.aws.helpers import props, sg_id

STACK = "aws"


@pytest.fixture(scope="module")
def default(plan_stack):
    return plan_stack(STACK)


@pytest.fixture(scope="module")
def private_nat(plan_stack):
    return plan_stack(STACK, fargate={"privateSubnets": True, "natGateway": True}, budgetMonthlyUsd=0)


@pytest.fixture(scope="module")
def private_endpoints(plan_stack):
    return plan_stack(STACK, fargate={"privateSubnets": True}, budgetMonthlyUsd=0, protect=False)


def _ingress(result) -> list[dict]:
    return [props(r) for r in result.find("SecurityGroupIngressRule")]


@pytest.mark.parametrize("variant", ["default", "private_nat", "private_endpoints"])
def test_only_the_alb_admits_the_internet_and_only_on_80_443(variant, request):
    result = request.getfixturevalue(variant)
    alb_groups = props(result.one("LoadBalancer", STACK))["securityGroups"]
    open_rules = [r for r in _ingress(result) if {r.get("cidrIpv4"), r.get("cidrIpv6")} & OPEN_WORLD]
    assert sorted((r["fromPort"], r["toPort"]) for r in open_rules) == [(80, 80), (443, 443)]
    assert {r["securityGroupId"] for r in open_rules} == set(alb_groups)
    # No inline rules anywhere that could bypass the check above.
    assert all(not props(g).get("ingress") for g in result.find("ec2/securityGroup:SecurityGroup"))


def test_tasks_are_reachable_only_from_the_alb_on_the_api_port(default):
    into_tasks = [r for r in _ingress(default) if r["securityGroupId"] == sg_id(f"{STACK}-tasks")]
    assert into_tasks == [
        {**into_tasks[0], "referencedSecurityGroupId": sg_id(f"{STACK}-alb"), "fromPort": 8000, "toPort": 8000}
    ]
    alb_egress = [
        props(r)
        for r in default.find("SecurityGroupEgressRule")
        if props(r)["securityGroupId"] == sg_id(f"{STACK}-alb")
    ]
    assert [(e["referencedSecurityGroupId"], e["fromPort"]) for e in alb_egress] == [(sg_id(f"{STACK}-tasks"), 8000)]


@pytest.mark.parametrize("store, port", [("db", 5432), ("cache", 6379)])
def test_data_stores_admit_only_the_tasks_group(default, store, port):
    rules = [r for r in _ingress(default) if r["securityGroupId"] == sg_id(f"{STACK}-{store}")]
    assert [(r["referencedSecurityGroupId"], r["fromPort"], r["toPort"]) for r in rules] == [
        (sg_id(f"{STACK}-tasks"), port, port)
    ]
    assert all("cidrIpv4" not in r and "cidrIpv6" not in r for r in rules)


def test_rds_and_valkey_are_private_and_encrypted(default):
    db = props(default.one("rds/instance:Instance"))
    assert db["publiclyAccessible"] is False and db["storageEncrypted"] is True
    assert db["vpcSecurityGroupIds"] == [sg_id(f"{STACK}-db")]
    assert db["engine"] == "postgres" and db["engineVersion"] == "16" and db["backupRetentionPeriod"] == 7
    subnets = props(default.one("rds/subnetGroup:SubnetGroup"))["subnetIds"]
    assert subnets == [f"{STACK}-private-a-placeholder-id", f"{STACK}-private-b-placeholder-id"]
    cache = props(default.one("ReplicationGroup"))
    assert cache["transitEncryptionEnabled"] and cache["atRestEncryptionEnabled"] and cache["authToken"]
    assert cache["securityGroupIds"] == [sg_id(f"{STACK}-cache")]
    assert props(default.one("elasticache/subnetGroup:SubnetGroup"))["subnetIds"] == subnets


def test_default_network_has_no_nat_and_tasks_get_public_ips(default):
    assert default.find("NatGateway") == []
    for service in default.find("ecs/service:Service"):
        network = props(service)["networkConfiguration"]
        assert network["assignPublicIp"] is True
        assert all("public" in s for s in network["subnets"])
    assert not any(props(r)["vpcEndpointType"] == "Interface" for r in default.find("VpcEndpoint"))


def test_private_subnets_use_one_nat_gateway(private_nat):
    assert len(private_nat.find("NatGateway")) == 1
    for service in private_nat.find("ecs/service:Service"):
        network = props(service)["networkConfiguration"]
        assert network["assignPublicIp"] is False and all("private" in s for s in network["subnets"])
    costs = {i.basis for i in private_nat.cost.items}
    assert not any("tasks in public subnets" in b for b in costs)
    assert any("NAT gateway" in b for b in costs)


def test_private_subnets_without_nat_use_vpc_endpoints(private_endpoints):
    assert private_endpoints.find("NatGateway") == []
    services = sorted(
        props(r)["serviceName"].rsplit(".", 1)[-1]
        if "ecr" not in props(r)["serviceName"]
        else props(r)["serviceName"].split("us-east-1.")[1]
        for r in private_endpoints.find("VpcEndpoint")
        if props(r)["vpcEndpointType"] == "Interface"
    )
    assert services == ["ecr.api", "ecr.dkr", "logs", "secretsmanager"]
    endpoint_rules = [r for r in _ingress(private_endpoints) if r["securityGroupId"] == sg_id(f"{STACK}-endpoints")]
    assert [(r["referencedSecurityGroupId"], r["fromPort"]) for r in endpoint_rules] == [(sg_id(f"{STACK}-tasks"), 443)]


def test_region_override_uses_its_own_provider_and_azs(plan_stack):
    result = plan_stack(STACK, fargate={"region": "eu-west-1"}, budgetMonthlyUsd=0)
    assert result.problems == []
    providers = {props(p)["region"] for p in result.find("pulumi:providers:aws")}
    assert providers == {"eu-west-1", "us-east-1"}  # us-east-1: Route 53 health-check metrics live only there
    assert (
        sorted(props(s)["availabilityZone"] for s in result.find("ec2/subnet:Subnet"))
        == ["eu-west-1a"] * 2 + ["eu-west-1b"] * 2
    )
    uptime = result.one("MetricAlarm", f"{STACK}-uptime")
    assert props(uptime)["namespace"] == "AWS/Route53"
    assert "eu-west-1" in props(result.one("VpcEndpoint"))["serviceName"]
