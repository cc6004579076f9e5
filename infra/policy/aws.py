"""AWS rules (targets fargate and lambda): only the load balancer faces the internet, private
encrypted data stores, bucket protections, least-privilege IAM, secrets by reference,
health-gated ECS rollouts with rollback, hardened containers."""

from __future__ import annotations

import json
from collections.abc import Iterable

from infra.policy.rules import OPEN_WORLD, SECRET_NAME, Level, ResourceRule, ResourceView, StackRule

INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_GUARDS = {
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "a public access block",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "default encryption",
    "aws:s3/bucketVersioning:BucketVersioning": "versioning",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "a lifecycle configuration",
}
POLICY_TYPES = {"aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:iam/userPolicy:UserPolicy"}
# Actions AWS does not scope to resources; `*` is the only valid Resource for them.
UNSCOPABLE_ACTIONS = {
    "ecr:GetAuthorizationToken",
    "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
}
PUBLIC_WEB_PORTS = {80, 443}
# Task definition tag naming what a task is. ECS probes only by a command inside the image:
# a one-shot job's health is its exit code, and a third-party accessory's image has no known
# probe command (public ones are probed by their ALB target group instead).
TASK_ROLE_TAG = "ai-service:role"
UNPROBED_TASK_ROLES = {"job", "accessory"}
LAMBDA_SECRET_REFERENCE = "SECRETS_ARN"  # the ARN of the secret, not a secret


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _world_ingress(views: list[ResourceView]) -> Iterable[tuple[str, str]]:
    """0.0.0.0/0 (or ::/0) may reach only TCP 80/443 of a load balancer's security group."""
    alb_groups = {g for v in views if v.type == LOAD_BALANCER for g in v.props.get("securityGroups") or []}
    for v in views:
        if v.type == INGRESS_RULE:
            rules = [v.props]
            group = v.props.get("securityGroupId")
        elif v.type == SECURITY_GROUP:
            rules = v.props.get("ingress") or []
            group = None  # inline rules: the group's own id is unknown before creation
        else:
            continue
        for rule in rules:
            sources = {rule.get("cidrIpv4"), rule.get("cidrIpv6"), *(rule.get("cidrBlocks") or []),
                       *(rule.get("ipv6CidrBlocks") or [])}
            if not sources & OPEN_WORLD:
                continue
            web = rule.get("ipProtocol", rule.get("protocol")) == "tcp" and rule.get("fromPort") == rule.get("toPort") \
                and rule.get("fromPort") in PUBLIC_WEB_PORTS
            # Ids are unknown during a real preview: then only the ports can be judged.
            known = isinstance(group, str) and alb_groups and all(isinstance(g, str) for g in alb_groups)
            if not web or (known and group not in alb_groups):
                yield v.name, (f"admits {sorted(sources & OPEN_WORLD)} on {rule.get('fromPort')}-{rule.get('toPort')}; "
                               "only the load balancer's 80/443 may face the internet")


def _rds(v: ResourceView) -> Iterable[str]:
    if v.type != "aws:rds/instance:Instance":
        return
    p = v.props
    if p.get("publiclyAccessible"):
        yield "publicly accessible; keep databases in private subnets"
    if not p.get("storageEncrypted"):
        yield "storage is not encrypted"
    if int(p.get("backupRetentionPeriod") or 0) < 7:
        yield "automated backups must be kept at least 7 days"
    if v.protect and not p.get("deletionProtection"):
        yield "protected by Pulumi but deletionProtection is off"


def _cache(v: ResourceView) -> Iterable[str]:
    if v.type != "aws:elasticache/replicationGroup:ReplicationGroup":
        return
    p = v.props
    if not p.get("transitEncryptionEnabled"):
        yield "in-transit encryption (TLS) is off"
    if not p.get("atRestEncryptionEnabled"):
        yield "at-rest encryption is off"
    if not p.get("authToken") and not p.get("userGroupIds"):
        yield "no AUTH token or user group: anyone in the VPC could connect"


def _buckets(views: list[ResourceView]) -> Iterable[tuple[str, str]]:
    """Every bucket has a public access block (all four on), encryption, versioning and lifecycle rules."""
    for bucket in (v for v in views if v.type == BUCKET):
        guards = {v.type: v for v in views if v.type in BUCKET_GUARDS and v.name == bucket.name}
        for type_, what in BUCKET_GUARDS.items():
            if type_ not in guards:
                yield bucket.name, f"is missing {what}"
        block = guards.get("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
        if block and not all(block.props.get(k) for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")):
            yield bucket.name, "public access block must set all four flags"
        versioning = guards.get("aws:s3/bucketVersioning:BucketVersioning")
        if versioning and (versioning.props.get("versioningConfiguration") or {}).get("status") != "Enabled":
            yield bucket.name, "versioning is not enabled"


def _statements(v: ResourceView) -> list[dict]:
    document = v.props.get("policy")
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return []
    return _as_list((document or {}).get("Statement") or [])


def _least_privilege(v: ResourceView) -> Iterable[str]:
    if v.type not in POLICY_TYPES:
        return
    for s in _statements(v):
        if s.get("Effect") != "Allow":
            continue
        actions = [str(a) for a in _as_list(s.get("Action") or [])]
        resources = [str(r) for r in _as_list(s.get("Resource") or [])]
        wild = [a for a in actions if a == "*" or a.endswith(":*")]
        if wild:
            yield f"statement {s.get('Sid', '?')} grants wildcard action(s) {', '.join(wild)}"
        if "*" in resources:
            unscoped = [a for a in actions if a not in UNSCOPABLE_ACTIONS]
            if unscoped:
                yield f"statement {s.get('Sid', '?')} grants {', '.join(unscoped)} on every resource; name the resources"


def _container_definitions(v: ResourceView) -> list[dict]:
    text = v.props.get("containerDefinitions")
    if not isinstance(text, str):
        return []
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return []


def _ecs_task(v: ResourceView) -> Iterable[str]:
    if v.type != "aws:ecs/taskDefinition:TaskDefinition":
        return
    probed = (v.props.get("tags") or {}).get(TASK_ROLE_TAG) not in UNPROBED_TASK_ROLES
    for c in _container_definitions(v):
        name = c.get("name", "?")
        for env in c.get("environment") or []:
            if SECRET_NAME.search(env.get("name", "")):
                yield f"container {name}: {env['name']} is in environment; use secrets/valueFrom (Secrets Manager)"
        if c.get("user") in (None, "", "0", "root") or str(c.get("user", "")).startswith(("0:", "root:")):
            yield f"container {name} runs as root; set `user`"
        if (c.get("logConfiguration") or {}).get("logDriver") != "awslogs":
            yield f"container {name} has no awslogs log configuration"
        if probed and c.get("essential", True) and "healthCheck" not in c:
            yield f"essential container {name} has no health check"


def _ecs_service(v: ResourceView) -> Iterable[str]:
    if v.type != "aws:ecs/service:Service":
        return
    breaker = v.props.get("deploymentCircuitBreaker") or {}
    if not (breaker.get("enable") and breaker.get("rollback")):
        yield "deployment circuit breaker with rollback is off: a failing release would not roll back"
    if v.props.get("loadBalancers") and not v.props.get("healthCheckGracePeriodSeconds"):
        yield "behind a load balancer without a health-check grace period"


def _lambda_env(v: ResourceView) -> Iterable[str]:
    if v.type != "aws:lambda/function:Function":
        return
    variables = (v.props.get("environment") or {}).get("variables") or {}
    for name in variables:
        if SECRET_NAME.search(name) and name != LAMBDA_SECRET_REFERENCE:
            yield f"{name} is a plaintext environment variable; read it from Secrets Manager"


def _log_retention(v: ResourceView) -> Iterable[str]:
    if v.type == "aws:cloudwatch/logGroup:LogGroup" and not v.props.get("retentionInDays"):
        yield "log group keeps logs forever (no retentionInDays)"


def _tls_listener(v: ResourceView) -> Iterable[str]:
    if v.type != "aws:lb/listener:Listener":
        return
    p = v.props
    if p.get("protocol") == "HTTPS" and not str(p.get("sslPolicy", "")).startswith("ELBSecurityPolicy-TLS13"):
        yield "HTTPS listener without a TLS 1.2+/1.3 security policy"
    if p.get("protocol") == "HTTP" and any(a.get("type") == "forward" for a in p.get("defaultActions") or []):
        yield "serves the API over plain HTTP; set `domain` for HTTPS with an ACM certificate"


def _uptime_check(views: list[ResourceView]) -> Iterable[tuple[str, str]]:
    """A public endpoint (ALB, HTTP API) is watched from outside by a Route 53 health check."""
    endpoints = [v for v in views if v.type in (LOAD_BALANCER, "aws:apigatewayv2/api:Api") and not v.props.get("internal")]
    if endpoints and not any(v.type == "aws:route53/healthCheck:HealthCheck" for v in views):
        for v in endpoints:
            yield v.name, "public endpoint without a Route 53 health check: a dead service would not alert"


AWS_RULES: list[ResourceRule | StackRule] = [
    StackRule("aws-only-alb-faces-internet", "Only the load balancer's 80/443 admit 0.0.0.0/0.", Level.MANDATORY, _world_ingress),
    ResourceRule("aws-rds-private-encrypted", "RDS: private, encrypted, 7-day backups, deletion protection when protected.", Level.MANDATORY, _rds),
    ResourceRule("aws-cache-encrypted-auth", "ElastiCache: TLS, at-rest encryption, AUTH.", Level.MANDATORY, _cache),
    StackRule("aws-bucket-protections", "S3 buckets: public access blocked, encrypted, versioned, lifecycle rules.", Level.MANDATORY, _buckets),
    ResourceRule("aws-iam-least-privilege", "IAM policies name their resources; no wildcard actions.", Level.MANDATORY, _least_privilege),
    ResourceRule("aws-ecs-task-hardening", "ECS containers: secrets by reference, non-root, awslogs, health checks.", Level.MANDATORY, _ecs_task),
    ResourceRule("aws-ecs-rollback", "ECS services roll back failed deployments.", Level.MANDATORY, _ecs_service),
    ResourceRule("aws-lambda-no-secret-env", "Lambda environment holds no secrets.", Level.MANDATORY, _lambda_env),
    ResourceRule("aws-log-retention", "Log groups expire old logs.", Level.MANDATORY, _log_retention),
    StackRule("aws-uptime-check", "Public endpoints have an external uptime check.", Level.MANDATORY, _uptime_check),
    ResourceRule("aws-listener-tls", "Public listeners use TLS (advisory until a domain is set).", Level.ADVISORY, _tls_listener),
]
