"""AWS rules (targets fargate and lambda): only the load balancer faces the internet, private
encrypted data stores, bucket protections, least-privilege IAM, secrets by reference,
health-gated ECS rollouts with rollback, hardened containers."""

from __future__ import annotations

import json
from collections.abc import Iterable

from infra.contract import TASK_ROLE_TAG
from infra.tooling.policy.base import OPEN_WORLD, SECRET_NAME, Level, ResourceRule, ResourceView, Risk, StackRule

INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
BUCKETS = {"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"}
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
# Guards that are practice, not a risk on their own: S3 encrypts new objects (SSE-S3) by default.
BUCKET_GUARDS = {
    "encryption": (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    ),
    "versioning": ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"),
    "lifecycle": (
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
    ),
}
GUARD_WORDS = {"encryption": "default encryption", "versioning": "versioning", "lifecycle": "a lifecycle configuration"}
INLINE_GUARDS = {
    "encryption": "serverSideEncryptionConfiguration",
    "versioning": "versioning",
    "lifecycle": "lifecycleRules",
}
PUBLIC_ACLS = {"public-read", "public-read-write", "authenticated-read"}
BUCKET_ACLS = {"aws:s3/bucketAclV2:BucketAclV2", "aws:s3/bucketAcl:BucketAcl"}
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
POLICY_TYPES = {
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
}
ATTACHMENTS = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
}
AWS_MANAGED = "arn:aws:iam::aws:policy/"
BROAD_MANAGED = {"AdministratorAccess", "PowerUserAccess", "IAMFullAccess"}
# Actions AWS does not scope to resources; `*` is the only valid Resource for them.
UNSCOPABLE_ACTIONS = {
    "ecr:GetAuthorizationToken",
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}
PUBLIC_WEB_PORTS = {80, 443}
# Task definition tag naming what a task is. ECS probes only by a command inside the image:
# a one-shot job's health is its exit code, and a third-party accessory's image has no known
# probe command (public ones are probed by their ALB target group instead).
UNPROBED_TASK_ROLES = {"job", "accessory"}
LAMBDA_SECRET_REFERENCE = "SECRETS_ARN"  # the ARN of the secret, not a secret
REFERENCE_SUFFIXES = (
    "_ARN",
    "_SECRET_ID",
    "_SECRET_NAME",
    "_PARAMETER",
    "_PARAMETER_NAME",
)  # names of secrets, not secrets


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
            sources = {
                rule.get("cidrIpv4"),
                rule.get("cidrIpv6"),
                *(rule.get("cidrBlocks") or []),
                *(rule.get("ipv6CidrBlocks") or []),
            }
            if not sources & OPEN_WORLD:
                continue
            web = (
                rule.get("ipProtocol", rule.get("protocol")) == "tcp"
                and rule.get("fromPort") == rule.get("toPort")
                and rule.get("fromPort") in PUBLIC_WEB_PORTS
            )
            # Ids are unknown during a real preview: then only the ports can be judged.
            known = isinstance(group, str) and alb_groups and all(isinstance(g, str) for g in alb_groups)
            if not web or (known and group not in alb_groups):
                yield (
                    v.name,
                    (
                        f"admits {sorted(sources & OPEN_WORLD)} on {rule.get('fromPort')}-{rule.get('toPort')}; "
                        "only the load balancer's 80/443 may face the internet"
                    ),
                )


RDS = {"aws:rds/instance:Instance", "aws:rds/cluster:Cluster"}


def _rds(v: ResourceView) -> Iterable[str]:
    if v.type not in RDS:
        return
    p = v.props
    if p.get("publiclyAccessible"):
        yield "publicly accessible; keep databases in private subnets"
    if not p.get("storageEncrypted") and v.type == "aws:rds/instance:Instance":
        yield "storage is not encrypted"
    if v.type == "aws:rds/cluster:Cluster" and p.get("storageEncrypted") is False:
        yield "storage is not encrypted"
    if "backupRetentionPeriod" in p and int(p.get("backupRetentionPeriod") or 0) == 0:
        yield "automated backups are off (backupRetentionPeriod 0): a lost volume loses the data"
    if v.protect and not p.get("deletionProtection"):
        yield "protected by Pulumi but deletionProtection is off"


def _rds_retention(v: ResourceView) -> Iterable[str]:
    days = int(
        v.props["backupRetentionPeriod"] if v.props.get("backupRetentionPeriod") is not None else 1
    )  # AWS default 1
    if v.type in RDS and 0 < days < 7:
        yield f"automated backups are kept {days} day(s); a week lets a problem found late be restored"


def _ebs_encrypted(v: ResourceView) -> Iterable[str]:
    if v.type in ("aws:ebs/volume:Volume", "aws:efs/fileSystem:FileSystem") and not v.props.get("encrypted"):
        yield "is not encrypted at rest; set encrypted (and a KMS key if you rotate your own)"


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


def _guards_of(bucket: ResourceView, views: list[ResourceView], types) -> list[ResourceView]:
    """Guard resources pointing at `bucket` (by its name/id, or named like it)."""
    keys = bucket.ids | {bucket.name, str(bucket.props.get("bucket") or "")}
    return [v for v in views if v.type in types and (v.props.get("bucket") in keys or v.name == bucket.name)]


def _buckets_private(views: list[ResourceView]) -> Iterable[tuple[str, str]]:
    """Every bucket has a public access block with all four flags, and no public ACL."""
    for bucket in (v for v in views if v.type in BUCKETS):
        blocks = _guards_of(bucket, views, {PUBLIC_ACCESS_BLOCK})
        if not blocks:
            yield bucket.name, "is missing a public access block"
        for block in blocks:
            off = [
                k
                for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
                if not block.props.get(k)
            ]
            if off:
                yield bucket.name, f"public access block must set all four flags ({', '.join(off)} off)"
        acls = [bucket.props.get("acl")] + [a.props.get("acl") for a in _guards_of(bucket, views, BUCKET_ACLS)]
        if set(acls) & PUBLIC_ACLS:
            yield (
                bucket.name,
                f"canned ACL {sorted(str(acl) for acl in set(acls) & PUBLIC_ACLS)[0]} makes its objects public",
            )
    for v in views:
        if v.type in BUCKETS | {BUCKET_POLICY}:
            for s in _statements(v):
                if s.get("Effect") == "Allow" and _public_principal(s.get("Principal")) and not s.get("Condition"):
                    yield v.name, f"bucket policy statement {s.get('Sid', '?')} allows Principal * without a condition"


def _public_principal(principal) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any(p == "*" or p == ["*"] or (isinstance(p, list) and "*" in p) for p in principal.values())
    return False


def _bucket_practice(views: list[ResourceView]) -> Iterable[tuple[str, str]]:
    """Explicit default encryption, versioning and lifecycle rules (practice: S3 encrypts by default)."""
    for bucket in (v for v in views if v.type in BUCKETS):
        for what, types in BUCKET_GUARDS.items():
            guards = _guards_of(bucket, views, set(types))
            inline = bucket.props.get(INLINE_GUARDS[what])
            if what == "versioning" and isinstance(inline, dict) and not inline.get("enabled"):
                inline = None
            if not guards and not inline:
                yield bucket.name, f"is missing {GUARD_WORDS[what]}"
            for g in guards:
                if what == "versioning" and (g.props.get("versioningConfiguration") or {}).get("status") != "Enabled":
                    yield bucket.name, "versioning is not enabled"


def _statements(v: ResourceView, document=None) -> list[dict]:
    document = v.props.get("policy") if document is None else document
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return []
    if not isinstance(document, dict):
        return []
    return [s for s in _as_list(document.get("Statement") or []) if isinstance(s, dict)]


def _documents(v: ResourceView) -> list:
    if v.type in POLICY_TYPES:
        return [v.props.get("policy")]
    if v.type == "aws:iam/role:Role":  # inline policies on the role itself
        return [p.get("policy") for p in v.props.get("inlinePolicies") or [] if isinstance(p, dict)]
    return []


def _least_privilege(v: ResourceView) -> Iterable[str]:
    for document in _documents(v):
        for s in _statements(v, document or {}):
            if s.get("Effect") != "Allow":
                continue
            if s.get("NotAction"):
                yield (
                    f"statement {s.get('Sid', '?')} allows everything except {s['NotAction']}; list the actions instead"
                )
            actions = [str(a) for a in _as_list(s.get("Action") or [])]
            resources = [str(r) for r in _as_list(s.get("Resource") or [])]
            wild = [a for a in actions if a == "*" or a.endswith(":*")]
            if wild:
                yield f"statement {s.get('Sid', '?')} grants wildcard action(s) {', '.join(wild)}"
            if "*" in resources:
                unscoped = [a for a in actions if a not in UNSCOPABLE_ACTIONS]
                if unscoped:
                    yield (
                        f"statement {s.get('Sid', '?')} grants {', '.join(unscoped)} on every resource; name the "
                        "resources"
                    )
    arns = [v.props.get("policyArn")] if v.type in ATTACHMENTS else []
    if v.type == "aws:iam/role:Role":
        arns += v.props.get("managedPolicyArns") or []
    for arn in arns:
        if isinstance(arn, str) and arn.startswith(AWS_MANAGED):
            policy = arn.rsplit("/", 1)[-1]
            if policy in BROAD_MANAGED or policy.endswith("FullAccess"):
                yield (
                    f"attaches AWS-managed {policy}: every action on every resource of the service; write a scoped "
                    "policy"
                )


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
    for c in _container_definitions(v):
        name = c.get("name", "?")
        for env in c.get("environment") or []:
            if SECRET_NAME.search(env.get("name", "")) and env.get("value"):
                yield f"container {name}: {env['name']} is in environment; use secrets/valueFrom (Secrets Manager)"
        if c.get("user") in (None, "", "0", "root") or str(c.get("user", "")).startswith(("0:", "root:")):
            yield f"container {name} runs as root; set `user`"
        if c.get("privileged"):
            yield f"container {name} is privileged"


def _ecs_task_practice(v: ResourceView) -> Iterable[str]:
    """Logs and container health checks (an ALB target group health-checks public services already)."""
    if v.type != "aws:ecs/taskDefinition:TaskDefinition":
        return
    probed = (v.props.get("tags") or {}).get(TASK_ROLE_TAG) not in UNPROBED_TASK_ROLES
    for c in _container_definitions(v):
        name = c.get("name", "?")
        if (c.get("logConfiguration") or {}).get("logDriver") not in ("awslogs", "awsfirelens"):
            yield f"container {name} has no awslogs log configuration: its output is lost"
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
    for name, value in variables.items():
        reference = name.endswith(REFERENCE_SUFFIXES) or str(value).startswith("arn:")
        if SECRET_NAME.search(name) and name != LAMBDA_SECRET_REFERENCE and not reference:
            yield f"{name} is a plaintext environment variable; read it from Secrets Manager"


def _log_retention(v: ResourceView) -> Iterable[str]:
    if v.type == "aws:cloudwatch/logGroup:LogGroup" and not v.props.get("retentionInDays"):
        yield "log group keeps logs forever (no retentionInDays)"


def _lambda_log_groups(views: list[ResourceView]) -> Iterable[tuple[str, str]]:
    """Lambda writes to /aws/lambda/<name> (or loggingConfig.logGroup); created implicitly it never expires."""
    groups = {str(v.props.get("name")) for v in views if v.type == "aws:cloudwatch/logGroup:LogGroup"} | {
        i for v in views if v.type == "aws:cloudwatch/logGroup:LogGroup" for i in v.ids
    }
    for fn in (v for v in views if v.type == "aws:lambda/function:Function"):
        configured = (fn.props.get("loggingConfig") or {}).get("logGroup")
        names = {configured} if configured else {f"/aws/lambda/{n}" for n in fn.ids | {fn.props.get("name")} if n}
        if names and not names & groups:
            yield (
                fn.name,
                (
                    f"no LogGroup {sorted(names)[0]} with retentionInDays: Lambda creates it implicitly "
                    "and keeps logs forever"
                ),
            )


def _ssm_secure_string(v: ResourceView) -> Iterable[str]:
    """A parameter holding a secret is a SecureString (KMS-encrypted, access logged)."""
    if v.type != "aws:ssm/parameter:Parameter":
        return
    # The SDK marks `value` secret whatever it holds, so only the parameter's name tells a secret apart.
    secretish = SECRET_NAME.search(str(v.props.get("name") or v.name))
    if secretish and v.props.get("type") != "SecureString":
        yield f"holds a secret as type {v.props.get('type')}; use SecureString"
    if v.props.get("insecureValue") and secretish:
        yield "insecureValue stores the secret in plain text in state; use value with a Pulumi secret"


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
    endpoints = [
        v
        for v in views
        if v.type in (LOAD_BALANCER, "aws:apigatewayv2/api:Api", "aws:apigateway/restApi:RestApi")
        and not v.props.get("internal")
    ]
    if endpoints and not any(v.type == "aws:route53/healthCheck:HealthCheck" for v in views):
        for v in endpoints:
            yield v.name, "public endpoint without a Route 53 health check: a dead service would not alert"


AWS_RULES: list[ResourceRule | StackRule] = [
    StackRule(
        "aws-only-alb-faces-internet",
        "Only the load balancer's 80/443 admit 0.0.0.0/0: every other open port is attack surface.",
        Level.MANDATORY,
        _world_ingress,
        Risk.PUBLIC_EXPOSURE,
    ),
    StackRule(
        "aws-bucket-not-public",
        (
            "S3 buckets: all four public access block flags, no public ACL or unconditioned `*` bucket policy: "
            "public buckets leak data."
        ),
        Level.MANDATORY,
        _buckets_private,
        Risk.PUBLIC_EXPOSURE,
    ),
    ResourceRule(
        "aws-rds-private-encrypted",
        (
            "RDS/Aurora: private, encrypted, backups on, deletion protection when protected: a lost or exposed "
            "database is lost data."
        ),
        Level.MANDATORY,
        _rds,
        Risk.DURABILITY,
    ),
    ResourceRule(
        "aws-cache-encrypted-auth",
        "ElastiCache: TLS, at-rest encryption, AUTH: anyone in the VPC could otherwise read or flush it.",
        Level.MANDATORY,
        _cache,
        Risk.ENCRYPTION,
    ),
    ResourceRule(
        "aws-volume-encrypted",
        (
            "EBS volumes and EFS file systems are encrypted at rest: snapshots and disks leave the account "
            "otherwise readable."
        ),
        Level.MANDATORY,
        _ebs_encrypted,
        Risk.ENCRYPTION,
    ),
    ResourceRule(
        "aws-iam-least-privilege",
        "IAM policies (inline, attached, managed) name their resources; no wildcard actions, "
        "no *FullAccess: a leaked credential can do only what the workload needs.",
        Level.MANDATORY,
        _least_privilege,
        Risk.PRIVILEGE,
    ),
    ResourceRule(
        "aws-ecs-task-hardening",
        "ECS containers: secrets by reference, non-root, not privileged: env values show in the console and API.",
        Level.MANDATORY,
        _ecs_task,
        Risk.PRIVILEGE,
    ),
    ResourceRule(
        "aws-lambda-no-secret-env",
        "Lambda environment holds no secrets: env values show in the console and GetFunction.",
        Level.MANDATORY,
        _lambda_env,
        Risk.SECRETS,
    ),
    ResourceRule(
        "aws-ssm-secure-string",
        "SSM parameters holding secrets are SecureString: String values are unencrypted and readable by any reader.",
        Level.MANDATORY,
        _ssm_secure_string,
        Risk.SECRETS,
    ),
    ResourceRule(
        "aws-log-retention",
        "Log groups expire old logs: logs may hold personal data, and forever grows cost unbounded.",
        Level.MANDATORY,
        _log_retention,
        Risk.OBSERVABILITY,
    ),
    StackRule(
        "aws-lambda-log-group",
        "Every Lambda function has an explicit log group with retention: the implicit one never expires.",
        Level.MANDATORY,
        _lambda_log_groups,
        Risk.OBSERVABILITY,
    ),
    ResourceRule(
        "aws-ecs-rollback",
        "ECS services roll back failed deployments: a bad release must not stay live.",
        Level.MANDATORY,
        _ecs_service,
        Risk.RELIABILITY,
    ),
    StackRule(
        "aws-bucket-practice",
        "S3 buckets: explicit default encryption, versioning, lifecycle rules (practice: S3 encrypts by default).",
        Level.ADVISORY,
        _bucket_practice,
        Risk.DURABILITY,
    ),
    ResourceRule(
        "aws-rds-backup-retention",
        "RDS backups are kept at least 7 days (practice: a problem found late can still be restored).",
        Level.ADVISORY,
        _rds_retention,
        Risk.DURABILITY,
    ),
    ResourceRule(
        "aws-ecs-task-practice",
        "ECS containers log to CloudWatch and have health checks (practice: an ALB already checks public ones).",
        Level.ADVISORY,
        _ecs_task_practice,
        Risk.OBSERVABILITY,
    ),
    StackRule(
        "aws-uptime-check",
        "Public endpoints have an external uptime check (practice: a dead service alerts someone).",
        Level.ADVISORY,
        _uptime_check,
        Risk.OBSERVABILITY,
    ),
    ResourceRule(
        "aws-listener-tls",
        "Public listeners use TLS (advisory until a domain is set: needs a certificate).",
        Level.ADVISORY,
        _tls_listener,
        Risk.ENCRYPTION,
    ),
]
