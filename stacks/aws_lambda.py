"""target lambda: the API as a container-image Lambda behind an API Gateway HTTP API.

    internet ──HTTPS──> API Gateway HTTP API ($default stage, throttled; /metrics needs IAM auth)
                          └─> Lambda (Mangum, INLINE_JOBS=true, reserved concurrency) in private subnets
                                ├─> RDS Postgres 16 (private)     ├─> S3 (gateway endpoint)
                                └─> ElastiCache Valkey (private)  └─> Secrets Manager (interface endpoint)
    EventBridge Scheduler ──Invoke {"schedule", "command"}──┘ (scheduled commands run inside the function)
    pulumi up ──Invoke once per image──> migrate function (own role and secret: the owner's URL) ──before──> API function

What it does not include: workers (uploads are processed inside the request), the ALB, or a
custom domain; request/response payloads stop at ~6 MB, below the 10 MB upload limit.
The image runs through its Lambda handler (`commands` do not apply); `env` joins both functions'
environment, `secretEnv` their secret JSON; API Gateway waits at most 30 s (`requestTimeoutS` ≤ 30).
"""  # noqa: E501 (a diagram or table)

from __future__ import annotations

import json

import pulumi
from pulumi_aws import apigatewayv2, cloudwatch, lambda_

from infra.components import artifacts
from infra.components.aws import iam as aws_iam
from infra.components.aws.backend import Backend, BackendArgs
from infra.components.aws.common import provider_options, region
from infra.components.aws.image import ServiceImage, ServiceImageArgs
from infra.components.aws.monitoring import Alerts
from infra.components.aws.network import Network, NetworkArgs, allow_egress, allow_from, security_group
from infra.components.aws.schedules import SCHEDULE_FAILED, ScheduledJobs
from infra.components.sdk import sdk_input
from infra.contract import TASK_ROLE_TAG
from infra.render.aws import aws_lambda as lambda_render
from infra.render.observability.thresholds import API_DOWN, AVAILABILITY, ERROR_RATE, LATENCY_P95, READINESS_FAILING

# Without NAT the function reaches only AWS APIs with an endpoint (S3 has a free gateway one).
PRIVATE_ENDPOINTS = ("secretsmanager",)
# Attaching a function to a VPC needs these; EC2 offers no resource-level scope for them.
VPC_ACCESS_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
]
THROTTLE_BURST, THROTTLE_RATE = 200, 100  # API Gateway stage limits (requests; requests/second)
MIGRATE_MEMORY, MIGRATE_TIMEOUT = 1024, 900  # building an HNSW index can take minutes; 900 s is Lambda's maximum


def deploy(settings) -> None:
    cfg = settings.lambda_
    stack = pulumi.get_stack()
    aws_region = region(cfg.region)
    opts = provider_options(cfg.region)

    network = Network(
        stack,
        NetworkArgs(
            region=aws_region,
            nat_gateway=cfg.nat_gateway,
            interface_endpoints=() if cfg.nat_gateway else PRIVATE_ENDPOINTS,
        ),
        opts,
    )
    function_sg = security_group(f"{stack}-function", network.vpc_id, "Lambda ENIs: no ingress", opts)
    allow_egress(f"{stack}-function-out", function_sg, "Lambda to data stores and AWS APIs", opts)
    if network.endpoint_sg is not None:
        allow_from(
            f"{stack}-endpoints-from-function",
            network.endpoint_sg,
            443,
            function_sg,
            "AWS APIs from the function",
            opts,
        )

    backend = Backend(
        stack,
        BackendArgs(settings=settings, network=network, client=function_sg, cache_node_type=cfg.cache_node_type),
        opts,
    )
    image = ServiceImage(
        stack,
        ServiceImageArgs(
            prebuilt=settings.image, context=settings.build.context, dockerfile=settings.build.dockerfile_path
        ),
        opts,
    )

    vpc = pulumi.Output.all(pulumi.Output.all(*network.private_subnet_ids), function_sg.id)
    migration = _migrate_function(stack, cfg, settings, backend, image, vpc, opts)

    function_name = f"{stack}-api"
    log_group = cloudwatch.LogGroup(
        function_name, name=f"/aws/lambda/{function_name}", retention_in_days=cfg.log_retention_days, opts=opts
    )
    role = aws_iam.role(
        function_name,
        "lambda.amazonaws.com",
        [
            aws_iam.logs_statement([log_group.arn]),
            backend.secret_statement(),
            *backend.storage_statements(),
            {"Sid": "VpcAccess", "Effect": "Allow", "Action": VPC_ACCESS_ACTIONS, "Resource": "*"},
        ],
        opts,
        description="The API function: its logs, its secret, its bucket, its VPC interfaces",
    )
    api = apigatewayv2.Api(stack, protocol_type="HTTP", description="ai-service API", opts=opts)
    host = api.api_endpoint.apply(lambda url: url.removeprefix("https://"))
    environment = pulumi.Output.all(backend.environment(settings, aws_region, host), backend.secrets.arn).apply(
        # One process per sandbox: single-process Prometheus metrics (the image's multiprocess dir is for uvicorn
        # workers).
        lambda v: {**v[0], "INLINE_JOBS": "true", "SECRETS_ARN": v[1], "PROMETHEUS_MULTIPROC_DIR": ""}
    )
    timeout = lambda_render.api_timeout_s(cfg.timeout, settings.request_timeout_s)
    # The new image serves only after its migrations succeeded.
    function = _function(
        stack,
        "api",
        image,
        role,
        log_group,
        environment,
        vpc,
        dict(memory=cfg.memory, timeout=timeout),
        opts,
        depends_on=[migration],
        reserved_concurrent_executions=cfg.reserved_concurrency,
    )

    integration = apigatewayv2.Integration(
        stack,
        api_id=api.id,
        integration_type="AWS_PROXY",
        integration_uri=function.invoke_arn,
        payload_format_version="2.0",
        timeout_milliseconds=lambda_render.gateway_timeout_ms(timeout),
        opts=opts,
    )
    target = pulumi.Output.concat("integrations/", integration.id)
    apigatewayv2.Route(f"{stack}-default", api_id=api.id, route_key="$default", target=target, opts=opts)
    # /metrics is never public: signed (IAM) requests only.
    apigatewayv2.Route(
        f"{stack}-metrics",
        api_id=api.id,
        route_key="ANY /metrics",
        target=target,
        authorization_type="AWS_IAM",
        opts=opts,
    )
    access_log = cloudwatch.LogGroup(
        f"{stack}-api-access", name=f"/aws/apigateway/{stack}", retention_in_days=cfg.log_retention_days, opts=opts
    )
    apigatewayv2.Stage(
        stack,
        api_id=api.id,
        name="$default",
        auto_deploy=True,
        default_route_settings={"throttling_burst_limit": THROTTLE_BURST, "throttling_rate_limit": THROTTLE_RATE},
        access_log_settings={"destination_arn": access_log.arn, "format": ACCESS_LOG_FORMAT},
        opts=opts,
    )
    lambda_.Permission(
        f"{stack}-apigateway",
        action="lambda:InvokeFunction",
        function=function.name,
        principal="apigateway.amazonaws.com",
        source_arn=pulumi.Output.concat(api.execution_arn, "/*/*"),
        opts=opts,
    )

    # Scheduled commands: the handler runs `{"schedule", "command"}` events in-process (INLINE_JOBS).
    jobs = ScheduledJobs(stack, opts) if settings.schedules else None  # set whenever the loop below runs
    invoke = function.arn.apply(
        lambda arn: {"Sid": "InvokeFunction", "Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": arn}
    )
    for schedule in settings.schedules:
        assert jobs is not None
        jobs.add(
            schedule,
            function.arn,
            [invoke],
            input=json.dumps({"schedule": schedule.name, "command": list(schedule.command)}, sort_keys=True),
        )

    slack = settings.alert_slack_webhook
    alerts = Alerts(
        stack,
        settings.letsencrypt_email,
        aws_region,
        opts,
        slack_webhook=pulumi.Output.secret(slack.get_secret_value()) if slack else None,
        log_retention_days=cfg.log_retention_days,
    )
    if jobs is not None:
        alerts.above_zero(
            "schedule-failures",
            "Scheduled invocations that failed after retries (dead-letter queue)",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "Maximum",
            {"QueueName": jobs.dead_letter.name},
            SCHEDULE_FAILED,
        )
    api_dims = {"ApiId": api.id, "Stage": "$default"}
    alerts.ratio(
        "5xx-rate",
        "API 5xx responses above the shared error-rate threshold",
        "AWS/ApiGateway",
        "5xx",
        "Count",
        api_dims,
        ERROR_RATE,
    )
    alerts.latency(
        "p95-latency",
        "API p95 latency above the shared threshold",
        "AWS/ApiGateway",
        "Latency",
        api_dims,
        LATENCY_P95,
        unit_ms=True,
    )
    alerts.above_zero(
        "throttles",
        "Lambda invocations throttled (reserved concurrency reached)",
        "AWS/Lambda",
        "Throttles",
        "Sum",
        {"FunctionName": function.name},
        READINESS_FAILING,
    )
    if slack:  # the SLO's paging alerts come with a paging channel (docs/decisions/0118)
        alerts.burn_rates("AWS/ApiGateway", "5xx", "Count", api_dims, AVAILABILITY)
    alerts.uptime(host, https=True, threshold=API_DOWN, path=settings.health.liveness)
    if settings.budget_monthly_usd:
        alerts.budget(settings.budget_monthly_usd)

    pulumi.export("url", api.api_endpoint)
    pulumi.export("function", function.name)
    pulumi.export("image", image.ref)
    pulumi.export("bucket", backend.bucket.name)
    pulumi.export("apiKeys", backend.api_keys)
    pulumi.export("alertTopic", alerts.topic_arn)


ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","method":"$context.httpMethod",'
    '"path":"$context.path","status":"$context.status","latencyMs":"$context.responseLatency",'
    '"integrationError":"$context.integrationErrorMessage"}'
)


def _function(
    stack: str,
    role_name: str,
    image,
    role,
    log_group,
    environment,
    vpc,
    size: dict,
    opts: pulumi.ResourceOptions | None,
    *,
    depends_on: list,
    handler: str = lambda_render.HANDLER,
    tags: dict[str, str] | None = None,
    **extra,
) -> lambda_.Function:
    """A container-image function in the private subnets from its CreateFunction request (published as
    lambda/<role>.json)."""
    name = f"{stack}-{role_name}"
    request = pulumi.Output.all(image.ref, role.arn, environment, vpc).apply(
        lambda v: lambda_render.create_function_request(
            lambda_render.LambdaFunction(
                name=name,
                image_uri=v[0],
                role_arn=v[1],
                environment=v[2],
                subnet_ids=tuple(v[3][0]),
                security_group_ids=(v[3][1],),
                log_group=f"/aws/lambda/{name}",
                handler=handler,
                tags=tags or {},
                **size,
            )
        )
    )
    artifacts.publish(f"lambda/{role_name}.json", request.apply(lambda_render.render_request))
    return lambda_.Function(
        name,
        name=name,
        package_type="Image",
        image_uri=image.ref,
        role=role.arn,
        image_config=sdk_input(
            request.apply(
                lambda r: {
                    "entry_points": r["ImageConfig"]["EntryPoint"],
                    "commands": r["ImageConfig"]["Command"],
                    "working_directory": r["ImageConfig"]["WorkingDirectory"],
                }
            )
        ),
        architectures=["x86_64"],
        memory_size=size["memory"],
        timeout=size["timeout"],
        environment=sdk_input(request.apply(lambda r: {"variables": r["Environment"]["Variables"]})),
        vpc_config={"subnet_ids": vpc.apply(lambda v: v[0]), "security_group_ids": [vpc.apply(lambda v: v[1])]},
        logging_config={"log_format": "Text", "log_group": log_group.name},
        tags=tags,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[log_group, *depends_on])),
        **extra,
    )


def _migrate_function(
    stack: str, cfg, settings, backend: Backend, image: ServiceImage, vpc, opts: pulumi.ResourceOptions | None
) -> lambda_.Invocation:
    """`ai-service migrate` as its own function, invoked once per image during `pulumi up`.

    Only this function's role reads the migrate secret (the owner's URL); it has no bucket access
    and no API Gateway route. A failed migration fails the update before the API function changes.
    """
    name = f"{stack}-migrate"
    log_group = cloudwatch.LogGroup(
        name, name=f"/aws/lambda/{name}", retention_in_days=cfg.log_retention_days, opts=opts
    )
    role = aws_iam.role(
        name,
        "lambda.amazonaws.com",
        [
            aws_iam.logs_statement([log_group.arn]),
            backend.migrate_secret_statement(),
            {"Sid": "VpcAccess", "Effect": "Allow", "Action": VPC_ACCESS_ACTIONS, "Resource": "*"},
        ],
        opts,
        description="The migrate function: its logs, the migrate secret, its VPC interfaces",
    )
    environment = backend.migrate_secrets.arn.apply(
        lambda arn: {
            **settings.env,  # the app's own; its secretEnv is in the migrate secret
            "APP_ENV": settings.app_env,
            "LOG_LEVEL": settings.log_level,
            "EMBEDDING_DIM": str(settings.embedding_dim),
            "SECRETS_ARN": arn,
        }
    )
    function = _function(
        stack,
        "migrate",
        image,
        role,
        log_group,
        environment,
        vpc,
        dict(memory=MIGRATE_MEMORY, timeout=MIGRATE_TIMEOUT),
        opts,
        depends_on=[],
        handler=lambda_render.MIGRATE_HANDLER,
        tags={TASK_ROLE_TAG: "migrate"},
    )
    # Runs on create and whenever the image (or the migrate secret) changes; an error fails `pulumi up`.
    return lambda_.Invocation(
        name,
        function_name=function.name,
        input=json.dumps({"command": ["migrate"]}),
        triggers={"image": image.ref, "secret": backend.migrate_secrets.version_id},
        opts=opts,
    )
