"""AWS programs: raw resources, inline policies, classic bucket arguments, hand-written task definitions."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from tests.policy.corpus import program

ASSUME_ECS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
ASSUME_LAMBDA = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def _private_bucket(name: str, **extra) -> aws.s3.Bucket:
    """A bucket with every guard, declared the classic way (inline arguments) plus a separate block."""
    bucket = aws.s3.Bucket(
        name,
        bucket=f"{name}-corpus",
        versioning={"enabled": True},
        server_side_encryption_configuration={
            "rule": {"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"}}
        },
        lifecycle_rules=[{"enabled": True, "expiration": {"days": 30}}],
        **extra,
    )
    aws.s3.BucketPublicAccessBlock(
        f"{name}-pab",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    return bucket


@program(expect={"aws-bucket-not-public"})
def s3_policy_grants_everyone():
    """A static-assets bucket opened with a bucket policy (Principal *), the public access block relaxed."""
    site = aws.s3.Bucket(
        "assets",
        bucket="assets-corpus",
        versioning={"enabled": True},
        server_side_encryption_configuration={
            "rule": {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
        },
        lifecycle_rules=[{"enabled": True, "expiration": {"days": 90}}],
    )
    aws.s3.BucketPublicAccessBlock(
        "assets-access",
        bucket=site.id,
        block_public_acls=True,
        block_public_policy=False,
        ignore_public_acls=True,
        restrict_public_buckets=False,
    )
    aws.s3.BucketPolicy(
        "assets-read",
        bucket=site.id,
        policy=site.arn.apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "PublicRead",
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "s3:GetObject",
                            "Resource": f"{arn}/*",
                        }
                    ],
                }
            )
        ),
    )


@program(twin_of="s3_policy_grants_everyone")
def s3_policy_grants_cloudfront_only():
    """The same bucket read only by one CloudFront distribution (a condition on the source ARN)."""
    site = _private_bucket("assets")
    aws.s3.BucketPolicy(
        "assets-read",
        bucket=site.id,
        policy=site.arn.apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "CloudFrontRead",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudfront.amazonaws.com"},
                            "Action": "s3:GetObject",
                            "Resource": f"{arn}/*",
                            "Condition": {
                                "StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/E1"}
                            },
                        }
                    ],
                }
            )
        ),
    )


@program(expect={"aws-bucket-not-public", "aws-bucket-practice"})
def s3_bucket_v2_public_acl():
    """Terraform-style: BucketV2 with a separate public-read ACL and no public access block or guards."""
    uploads = aws.s3.BucketV2("uploads", bucket="uploads-corpus")
    aws.s3.BucketAclV2("uploads-acl", bucket=uploads.id, acl="public-read")


@program(twin_of="s3_bucket_v2_public_acl")
def s3_bucket_v2_private():
    """BucketV2 with the separate V2 guard resources and a private ACL."""
    uploads = aws.s3.BucketV2("uploads", bucket="uploads-corpus")
    aws.s3.BucketAclV2("uploads-acl", bucket=uploads.id, acl="private")
    aws.s3.BucketPublicAccessBlock(
        "uploads-block",
        bucket=uploads.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    aws.s3.BucketVersioningV2("uploads-versions", bucket=uploads.id, versioning_configuration={"status": "Enabled"})
    aws.s3.BucketServerSideEncryptionConfigurationV2(
        "uploads-sse",
        bucket=uploads.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
    )
    aws.s3.BucketLifecycleConfigurationV2(
        "uploads-expiry", bucket=uploads.id, rules=[{"id": "expire", "status": "Enabled", "expiration": {"days": 7}}]
    )


@program(expect={"aws-iam-least-privilege"})
def iam_role_inline_star_and_full_access():
    """A CI deploy role: an inline `*` policy on the role plus AWS-managed AmazonS3FullAccess."""
    role = aws.iam.Role(
        "deployer",
        assume_role_policy=ASSUME_ECS,
        inline_policies=[
            {
                "name": "everything",
                "policy": json.dumps(
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
                ),
            }
        ],
    )
    aws.iam.RolePolicyAttachment("deployer-s3", role=role.name, policy_arn="arn:aws:iam::aws:policy/AmazonS3FullAccess")


@program(twin_of="iam_role_inline_star_and_full_access")
def iam_role_scoped():
    """The same role with a scoped inline policy and an AWS-managed service-role policy."""
    role = aws.iam.Role(
        "deployer",
        assume_role_policy=ASSUME_ECS,
        inline_policies=[
            {
                "name": "artifacts",
                "policy": json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["s3:GetObject", "s3:PutObject"],
                                "Resource": "arn:aws:s3:::artifacts-corpus/*",
                            }
                        ],
                    }
                ),
            }
        ],
    )
    aws.iam.RolePolicyAttachment(
        "deployer-exec",
        role=role.name,
        policy_arn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    )


@program(expect={"aws-iam-least-privilege"})
def iam_managed_policy_admin_on_user_group():
    """An ops group with AdministratorAccess and a customer policy using NotAction."""
    group = aws.iam.Group("ops")
    aws.iam.GroupPolicyAttachment(
        "ops-admin", group=group.name, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    aws.iam.GroupPolicy(
        "ops-inline",
        group=group.name,
        policy=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}
        ),
    )


@program(twin_of="iam_managed_policy_admin_on_user_group")
def iam_group_read_only_scoped():
    """The ops group with a read-only, resource-scoped policy."""
    group = aws.iam.Group("ops")
    aws.iam.GroupPolicy(
        "ops-inline",
        group=group.name,
        policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["logs:GetLogEvents", "logs:FilterLogEvents"],
                        "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/app/*",
                    }
                ],
            }
        ),
    )


@program(expect={"long-lived-keys"})
def iam_user_with_access_key():
    """A CI user with a static access key exported as an output."""
    user = aws.iam.User("ci-bot", name="ci-bot")
    aws.iam.UserPolicy(
        "ci-bot-push",
        user=user.name,
        policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["ecr:PutImage"],
                        "Resource": "arn:aws:ecr:us-east-1:123456789012:repository/app",
                    }
                ],
            }
        ),
    )
    key = aws.iam.AccessKey("ci-bot-key", user=user.name)
    pulumi.export("secretAccessKey", key.secret)


@program(twin_of="iam_user_with_access_key")
def iam_oidc_role_for_ci():
    """CI assumes a role through the GitHub OIDC provider: no static key."""
    provider = aws.iam.OpenIdConnectProvider(
        "github", url="https://token.actions.githubusercontent.com", client_id_lists=["sts.amazonaws.com"]
    )
    role = aws.iam.Role(
        "ci",
        assume_role_policy=provider.arn.apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Federated": arn},
                            "Action": "sts:AssumeRoleWithWebIdentity",
                            "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/app:*"}},
                        }
                    ],
                }
            )
        ),
    )
    aws.iam.RolePolicy(
        "ci-push",
        role=role.id,
        policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["ecr:PutImage"],
                        "Resource": "arn:aws:ecr:us-east-1:123456789012:repository/app",
                    }
                ],
            }
        ),
    )


@program(expect={"aws-ssm-secure-string"})
def ssm_plain_string_password():
    """A database password kept as a plain String parameter (no KMS, readable by anyone with ssm:GetParameter)."""
    aws.ssm.Parameter("db-password", name="/shop/prod/DB_PASSWORD", type="String", value="hunter2-literal")


@program(twin_of="ssm_plain_string_password")
def ssm_secure_string_from_config():
    """The same parameters as SecureString, values Pulumi secrets (config.require_secret style)."""
    aws.ssm.Parameter(
        "db-password", name="/shop/prod/DB_PASSWORD", type="SecureString", value=pulumi.Output.secret("from-config")
    )
    aws.ssm.Parameter("api-token", name="/shop/prod/api-token", type="SecureString", value=pulumi.Output.secret("t"))
    aws.ssm.Parameter("log-level", name="/shop/prod/log-level", type="String", value="info")


@program(expect={"aws-rds-private-encrypted", "aws-only-alb-faces-internet", "aws-bucket-not-public"})
def rds_public_unencrypted_no_backups():
    """A quick-start Postgres: publicly accessible, unencrypted, backups off, 5432 open to the world."""
    sg = aws.ec2.SecurityGroup(
        "db-sg", ingress=[{"protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidr_blocks": ["0.0.0.0/0"]}]
    )
    aws.rds.Instance(
        "db",
        engine="postgres",
        engine_version="16.4",
        instance_class="db.t3.micro",
        allocated_storage=20,
        username="app",
        password=pulumi.Output.secret("pw"),
        publicly_accessible=True,
        storage_encrypted=False,
        backup_retention_period=0,
        skip_final_snapshot=True,
        vpc_security_group_ids=[sg.id],
    )
    aws.s3.Bucket(
        "db-dumps",
        bucket="db-dumps-corpus",
        acl="public-read",
        versioning={"enabled": True},
        server_side_encryption_configuration={
            "rule": {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
        },
        lifecycle_rules=[{"enabled": True, "expiration": {"days": 30}}],
    )


@program(twin_of="rds_public_unencrypted_no_backups")
def rds_private_encrypted():
    """Private, encrypted, a week of backups, reachable only from the app's security group."""
    app = aws.ec2.SecurityGroup("app-sg")
    sg = aws.ec2.SecurityGroup(
        "db-sg", ingress=[{"protocol": "tcp", "from_port": 5432, "to_port": 5432, "security_groups": [app.id]}]
    )
    aws.rds.Instance(
        "db",
        engine="postgres",
        engine_version="16.4",
        instance_class="db.m6g.large",
        allocated_storage=20,
        username="app",
        password=pulumi.Output.secret("pw"),
        publicly_accessible=False,
        storage_encrypted=True,
        backup_retention_period=7,
        deletion_protection=True,
        vpc_security_group_ids=[sg.id],
    )
    _private_bucket("db-dumps")


@program(expect={"aws-rds-backup-retention", "aws-volume-encrypted"})
def aurora_short_backups_and_plain_volume():
    """Aurora kept 1 day (advisory) and an unencrypted EBS data volume (mandatory)."""
    aws.rds.Cluster(
        "orders",
        engine="aurora-postgresql",
        master_username="app",
        master_password=pulumi.Output.secret("pw"),
        storage_encrypted=True,
        backup_retention_period=1,
        skip_final_snapshot=True,
    )
    aws.ebs.Volume("scratch", availability_zone="us-east-1a", size=50, type="gp3")


@program(twin_of="aurora_short_backups_and_plain_volume")
def aurora_week_of_backups():
    aws.rds.Cluster(
        "orders",
        engine="aurora-postgresql",
        master_username="app",
        master_password=pulumi.Output.secret("pw"),
        storage_encrypted=True,
        backup_retention_period=14,
        skip_final_snapshot=True,
    )
    aws.ebs.Volume("scratch", availability_zone="us-east-1a", size=50, type="gp3", encrypted=True)


@program(expect={"aws-cache-encrypted-auth"})
def redis_without_tls_or_auth():
    """An ElastiCache replication group with the defaults: no TLS, no at-rest encryption, no AUTH."""
    aws.elasticache.ReplicationGroup(
        "sessions", description="sessions", engine="redis", node_type="cache.t3.micro", num_cache_clusters=1
    )


@program(twin_of="redis_without_tls_or_auth")
def redis_tls_and_auth():
    aws.elasticache.ReplicationGroup(
        "sessions",
        description="sessions",
        engine="redis",
        node_type="cache.t4g.small",
        num_cache_clusters=2,
        transit_encryption_enabled=True,
        at_rest_encryption_enabled=True,
        auth_token=pulumi.Output.secret("a-long-auth-token-value"),
    )


@program(expect={"aws-lambda-log-group", "aws-lambda-no-secret-env", "images-pinned"})
def lambda_implicit_logs_and_env_secret():
    """A container-image Lambda on :latest, a token in env, and no log group (Lambda creates one that never expires)."""
    role = aws.iam.Role("fn-role", assume_role_policy=ASSUME_LAMBDA)
    aws.lambda_.Function(
        "resize",
        role=role.arn,
        package_type="Image",
        image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/resize:latest",
        environment={"variables": {"STRIPE_TOKEN": "sk_live_literal"}},
    )


@program(twin_of="lambda_implicit_logs_and_env_secret")
def lambda_explicit_log_group():
    """The function name is fixed and its log group declared with retention; the token comes from Secrets Manager."""
    role = aws.iam.Role("fn-role", assume_role_policy=ASSUME_LAMBDA)
    logs = aws.cloudwatch.LogGroup("resize-logs", name="/aws/lambda/resize", retention_in_days=30)
    secret = aws.secretsmanager.Secret("stripe")
    aws.secretsmanager.SecretVersion("stripe-v1", secret_id=secret.id, secret_string=pulumi.Output.secret("sk"))
    aws.lambda_.Function(
        "resize",
        name="resize",
        role=role.arn,
        package_type="Image",
        image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/resize@sha256:" + "a" * 64,
        environment={"variables": {"STRIPE_SECRET_ARN": secret.arn}},
        opts=pulumi.ResourceOptions(depends_on=[logs]),
    )


@program(expect={"aws-log-retention", "aws-lambda-log-group"})
def lambda_logging_config_group_forever():
    """loggingConfig names a custom group, but that group keeps logs forever."""
    role = aws.iam.Role("fn-role", assume_role_policy=ASSUME_LAMBDA)
    aws.cloudwatch.LogGroup("fn-logs", name="/custom/fn")
    aws.lambda_.Function(
        "fn",
        role=role.arn,
        runtime="python3.12",
        handler="app.handler",
        code=pulumi.FileArchive("."),
        logging_config={"log_format": "JSON", "log_group": "/custom/other"},
    )


@program(twin_of="lambda_logging_config_group_forever")
def lambda_logging_config_group_expires():
    role = aws.iam.Role("fn-role", assume_role_policy=ASSUME_LAMBDA)
    aws.cloudwatch.LogGroup("fn-logs", name="/custom/fn", retention_in_days=14)
    aws.lambda_.Function(
        "fn",
        role=role.arn,
        runtime="python3.12",
        handler="app.handler",
        code=pulumi.FileArchive("."),
        logging_config={"log_format": "JSON", "log_group": "/custom/fn"},
    )


def _task(name: str, container: dict, **extra) -> aws.ecs.TaskDefinition:
    return aws.ecs.TaskDefinition(
        name,
        family=name,
        cpu="512",
        memory="1024",
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        container_definitions=json.dumps([container]),
        **extra,
    )


@program(expect={"aws-ecs-task-hardening", "aws-ecs-task-practice", "aws-ecs-rollback", "images-pinned"})
def ecs_task_root_env_secret():
    """A hand-written task definition: root, DB password in environment, no logs, :latest, service without rollback."""
    task = _task(
        "shop",
        {
            "name": "web",
            "image": "nginx:latest",
            "essential": True,
            "environment": [{"name": "DB_PASSWORD", "value": "literal"}],
            "portMappings": [{"containerPort": 80}],
        },
    )
    cluster = aws.ecs.Cluster("shop")
    aws.ecs.Service("shop", cluster=cluster.arn, task_definition=task.arn, desired_count=2, launch_type="FARGATE")


@program(twin_of="ecs_task_root_env_secret")
def ecs_task_hardened():
    task = _task(
        "shop",
        {
            "name": "web",
            "image": "nginxinc/nginx-unprivileged:1.27.3",
            "essential": True,
            "user": "101",
            "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:1:secret:db"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/shop"}},
            "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"]},
            "portMappings": [{"containerPort": 8080}],
        },
    )
    aws.cloudwatch.LogGroup("shop-logs", name="/ecs/shop", retention_in_days=30)
    cluster = aws.ecs.Cluster("shop")
    aws.ecs.Service(
        "shop",
        cluster=cluster.arn,
        task_definition=task.arn,
        desired_count=2,
        launch_type="FARGATE",
        deployment_circuit_breaker={"enable": True, "rollback": True},
    )


@program(expect={"aws-only-alb-faces-internet", "ssh-not-open-to-world", "aws-uptime-check", "aws-listener-tls"})
def nlb_with_ssh_open_and_plain_http():
    """A bastion-style security group (22 from anywhere) and an HTTP listener forwarding plain traffic."""
    sg = aws.ec2.SecurityGroup("web-sg")
    aws.vpc.SecurityGroupIngressRule(
        "ssh", security_group_id=sg.id, cidr_ipv4="0.0.0.0/0", ip_protocol="tcp", from_port=22, to_port=22
    )
    lb = aws.lb.LoadBalancer(
        "web", load_balancer_type="application", security_groups=[sg.id], subnets=["subnet-a", "subnet-b"]
    )
    tg = aws.lb.TargetGroup("web", port=8080, protocol="HTTP", target_type="ip", vpc_id="vpc-1")
    aws.lb.Listener(
        "http",
        load_balancer_arn=lb.arn,
        port=80,
        protocol="HTTP",
        default_actions=[{"type": "forward", "target_group_arn": tg.arn}],
    )


@program(twin_of="nlb_with_ssh_open_and_plain_http")
def alb_https_with_health_check():
    sg = aws.ec2.SecurityGroup("web-sg")
    aws.vpc.SecurityGroupIngressRule(
        "https", security_group_id=sg.id, cidr_ipv4="0.0.0.0/0", ip_protocol="tcp", from_port=443, to_port=443
    )
    lb = aws.lb.LoadBalancer(
        "web", load_balancer_type="application", security_groups=[sg.id], subnets=["subnet-a", "subnet-b"]
    )
    tg = aws.lb.TargetGroup("web", port=8080, protocol="HTTP", target_type="ip", vpc_id="vpc-1")
    aws.lb.Listener(
        "https",
        load_balancer_arn=lb.arn,
        port=443,
        protocol="HTTPS",
        ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        certificate_arn="arn:aws:acm:us-east-1:1:certificate/x",
        default_actions=[{"type": "forward", "target_group_arn": tg.arn}],
    )
    aws.route53.HealthCheck(
        "web-up",
        type="HTTPS",
        fqdn="shop.example.com",
        port=443,
        resource_path="/health",
        failure_threshold=3,
        request_interval=30,
    )


@program(expect={"aws-uptime-check"})
def rest_api_and_nlb_unwatched():
    """An API Gateway REST API and an internet-facing NLB with nothing watching them from outside (advisory)."""
    aws.apigateway.RestApi("orders", description="orders API")
    aws.lb.LoadBalancer("tcp", load_balancer_type="network", subnets=["subnet-a"])


@program(twin_of="rest_api_and_nlb_unwatched")
def rest_api_and_nlb_watched():
    aws.apigateway.RestApi("orders", description="orders API")
    aws.lb.LoadBalancer("tcp", load_balancer_type="network", subnets=["subnet-a"])
    aws.route53.HealthCheck("orders-up", type="HTTPS", fqdn="api.example.com", port=443, resource_path="/health")
