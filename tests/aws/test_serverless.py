"""The serverless stack: a container-image Lambda in the VPC behind an HTTP API, API only."""

from __future__ import annotations

import re

import pytest

from infra.tooling.policy.base import OPEN_WORLD, SECRET_NAME
from tests.aws.helpers import props, sg_id, statements

STACK = "serverless"


@pytest.fixture(scope="module")
def default(plan_stack):
    return plan_stack(STACK)


def test_plan_is_clean_and_runs_no_workers(default):
    assert default.problems == [] and default.violations == []
    assert default.find("ecs/") == [] and default.find("LoadBalancer") == []


def test_function_is_an_image_with_config_limits(plan_stack):
    result = plan_stack(STACK, **{"lambda": {"memory": 2048, "timeout": 20, "reservedConcurrency": 5}})
    fn = props(result.one("lambda/function:Function", f"{STACK}-api"))
    assert fn["packageType"] == "Image"
    assert re.fullmatch(r"\d{12}\.dkr\.ecr\.us-east-1\.amazonaws\.com/serverless@sha256:[0-9a-f]{64}", fn["imageUri"])
    assert (fn["memorySize"], fn["timeout"], fn["reservedConcurrentExecutions"]) == (2048, 20, 5)
    assert fn["imageConfig"]["commands"] == ["ai_service.lambda_handler.handler"]
    assert props(result.one("apigatewayv2/integration:Integration"))["timeoutMilliseconds"] == 21_000


def test_environment_holds_no_secrets_only_the_secret_arn(default):
    variables = props(default.one("lambda/function:Function", f"{STACK}-api"))["environment"]["variables"]
    assert variables["INLINE_JOBS"] == "true"
    assert variables["SECRETS_ARN"] == default.one("secretsmanager/secret:Secret", STACK).outputs["arn"]
    assert [n for n in variables if SECRET_NAME.search(n)] == ["SECRETS_ARN"]


def test_function_runs_in_private_subnets_and_data_stores_admit_only_it(default):
    vpc = props(default.one("lambda/function:Function", f"{STACK}-api"))["vpcConfig"]
    assert vpc["subnetIds"] == [f"{STACK}-private-a-placeholder-id", f"{STACK}-private-b-placeholder-id"]
    assert vpc["securityGroupIds"] == [sg_id(f"{STACK}-function")]
    ingress = [props(r) for r in default.find("SecurityGroupIngressRule")]
    assert not [r for r in ingress if {r.get("cidrIpv4"), r.get("cidrIpv6")} & OPEN_WORLD]
    into_function = [r for r in ingress if r["securityGroupId"] == sg_id(f"{STACK}-function")]
    assert into_function == []
    for store, port in (("db", 5432), ("cache", 6379)):
        rules = [r for r in ingress if r["securityGroupId"] == sg_id(f"{STACK}-{store}")]
        assert [(r["referencedSecurityGroupId"], r["fromPort"]) for r in rules] == [(sg_id(f"{STACK}-function"), port)]
    assert props(default.one("rds/instance:Instance"))["publiclyAccessible"] is False
    # No NAT by default: Secrets Manager through an interface endpoint, S3 through the free gateway.
    assert default.find("NatGateway") == []
    endpoints = sorted(props(r)["serviceName"] for r in default.find("VpcEndpoint"))
    assert endpoints == ["com.amazonaws.us-east-1.s3", "com.amazonaws.us-east-1.secretsmanager"]


def test_function_role_is_scoped(default):
    by_sid = {s["Sid"]: s for s in statements(default, f"{STACK}-api")}
    assert by_sid["RuntimeSecrets"]["Resource"] == default.one("secretsmanager/secret:Secret", STACK).outputs["arn"]
    assert by_sid["Objects"]["Resource"] == default.one("s3/bucket:Bucket").outputs["arn"] + "/*"
    assert all(a.startswith("ec2:") for a in by_sid["VpcAccess"]["Action"])
    assert by_sid["Logs"]["Resource"] == [default.one("LogGroup", f"{STACK}-api").outputs["arn"] + ":*"]


def test_http_api_keeps_metrics_private_and_logs_access(default):
    routes = {props(r)["routeKey"]: props(r) for r in default.find("apigatewayv2/route:Route")}
    assert routes["ANY /metrics"]["authorizationType"] == "AWS_IAM"
    assert "authorizationType" not in routes["$default"] or routes["$default"]["authorizationType"] == "NONE"
    stage = props(default.one("apigatewayv2/stage:Stage"))
    assert stage["autoDeploy"] is True and stage["accessLogSettings"]["destinationArn"].startswith("arn:aws:logs:")
    permission = props(default.one("lambda/permission:Permission"))
    assert permission["principal"] == "apigateway.amazonaws.com" and permission["sourceArn"].endswith("/*/*")
    retention = {props(g)["name"]: props(g)["retentionInDays"] for g in default.find("LogGroup")}
    assert retention == {
        f"/aws/lambda/{STACK}-api": 30,
        f"/aws/lambda/{STACK}-migrate": 30,
        f"/aws/apigateway/{STACK}": 30,
    }


def test_domain_is_refused_with_a_clear_error():
    from infra.settings import ConfigError
    from tests.fixtures.plan import plan_with

    with pytest.raises(ConfigError, match=r"ai-service:domain: target lambda serves on the API Gateway URL"):
        plan_with(STACK, domain="api.example.com")


def test_cost_states_its_request_assumption(default):
    lines = {i.type: i for i in default.cost.items}
    assert "1M requests" in lines["aws:lambda/function:Function"].basis
    assert default.cost.monthly_usd <= 60


def test_openai_embeddings_need_a_nat_gateway():
    from infra.settings import ConfigError
    from infra.tooling.values import Secret
    from tests.fixtures.plan import plan_with

    with pytest.raises(
        ConfigError, match=r"ai-service:lambda.natGateway: embeddingProvider openai needs internet egress"
    ):
        plan_with(STACK, embeddingProvider="openai", openaiApiKey=Secret("sk-test"))
    with pytest.raises(ConfigError, match=r"ai-service:fargate.natGateway: embeddingProvider openai"):
        plan_with("aws", embeddingProvider="openai", openaiApiKey=Secret("sk-test"), fargate={"privateSubnets": True})
