"""target fargate: ECS Fargate behind an Application Load Balancer.

    internet ──80/443──> ALB (only public ingress) ──port──> api tasks ×N (autoscaled 70% CPU / 80% mem / req per task)
                          │ /metrics → 404                 │  migrate container runs first (SUCCESS gate; the owner's URL is its alone)
                          │                                 ├─> RDS Postgres 16 (private, encrypted, backups)
    Route 53 health check ┘                                 ├─> ElastiCache Valkey (private, TLS + AUTH)
                                        worker tasks ×M ────┴─> S3 bucket (private, SSE, lifecycle), Secrets Manager
    EventBridge Scheduler ──RunTask──> job tasks (one per schedule run; same image, `commands.task` + <command>)
    accessories: one ECS service each, <name>.<stack>.internal (Cloud Map DNS) from the tasks; /<name>/* on the ALB if public

Default network: tasks in public subnets with a public IPv4 each and a security group that admits
only the ALB (no NAT gateway); `fargate.privateSubnets` moves them behind one NAT or VPC endpoints.
Every role runs its argv from `commands` (first word as the container's entryPoint, the rest as its
command); `port`, `health`, `requestTimeoutS`, `env` and `secretEnv` reach every task definition and the ALB.
"""  # noqa: E501 (a diagram or table)

from __future__ import annotations

import pulumi
from pulumi_aws import acm, appautoscaling, cloudwatch, ecs, lb, route53, servicediscovery, vpc

from infra.components import artifacts
from infra.components.aws import iam as aws_iam
from infra.components.aws.accessory import (
    API_HOST,
    AccessoryService,
    AccessoryServiceArgs,
    PublicEdge,
    discovery_service,
    namespace_name,
)
from infra.components.aws.backend import Backend, BackendArgs
from infra.components.aws.common import ecr_repository_arn, provider_options, region
from infra.components.aws.image import ServiceImage, ServiceImageArgs
from infra.components.aws.monitoring import Alerts
from infra.components.aws.network import Network, NetworkArgs, allow_egress, allow_from, security_group
from infra.components.aws.schedules import SCHEDULE_FAILED, ScheduledJobs
from infra.components.sdk import sdk_input
from infra.contract import TASK_ROLE_TAG, internal_host_env
from infra.render.aws import ecs as ecs_render
from infra.render.observability.thresholds import API_DOWN, AVAILABILITY, ERROR_RATE, INSTANCE_DOWN, LATENCY_P95
from infra.settings import Settings
from infra.settings.aws import fargate_task_size

WORKER_METRICS_PORT = 8001
# Private tasks without NAT reach these AWS APIs through interface endpoints.
PRIVATE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "secretsmanager")
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
HEALTH_GRACE_S = 60
WORKER_STOP_TIMEOUT_S = 120  # Fargate's maximum; longer jobs are retried (JOB_RETRIES)
JOB_CPU, JOB_MEMORY = 256, 512  # scheduled commands only enqueue or clean up: the smallest Fargate size
ACCESSORY_RULE_PRIORITY = 100  # after the /metrics block (10); one rule per public accessory


def deploy(settings: Settings) -> None:
    cfg = settings.fargate
    stack = pulumi.get_stack()
    aws_region = region(cfg.region)
    opts = provider_options(cfg.region)

    # ── network and firewalls ────────────────────────────────────────────────
    network = Network(
        stack,
        NetworkArgs(
            region=aws_region,
            nat_gateway=cfg.private_subnets and cfg.nat_gateway,
            interface_endpoints=PRIVATE_ENDPOINTS if cfg.private_subnets and not cfg.nat_gateway else (),
        ),
        opts,
    )
    alb_sg = security_group(f"{stack}-alb", network.vpc_id, "ALB: HTTP/HTTPS from the internet", opts)
    tasks_sg = security_group(f"{stack}-tasks", network.vpc_id, "ECS tasks: only from the ALB", opts)
    for port in (80, 443):
        # The one rule open to the internet: the load balancer's listeners.
        vpc.SecurityGroupIngressRule(
            f"{stack}-alb-{port}",
            security_group_id=alb_sg.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"public {port}",
            opts=opts,
        )
    allow_egress(f"{stack}-alb-to-tasks", alb_sg, "ALB to API tasks", opts, port=settings.port, destination=tasks_sg)
    allow_from(f"{stack}-tasks-from-alb", tasks_sg, settings.port, alb_sg, "API from the ALB only", opts)
    allow_egress(f"{stack}-tasks-out", tasks_sg, "tasks to AWS APIs, data stores and model APIs", opts)
    if network.endpoint_sg is not None:
        allow_from(f"{stack}-endpoints-from-tasks", network.endpoint_sg, 443, tasks_sg, "AWS APIs from tasks", opts)
    task_subnets = network.private_subnet_ids if cfg.private_subnets else network.public_subnet_ids

    # ── data, secrets, image ─────────────────────────────────────────────────
    backend = Backend(
        stack,
        BackendArgs(settings=settings, network=network, client=tasks_sg, cache_node_type=cfg.cache_node_type),
        opts,
    )
    image = ServiceImage(
        stack,
        ServiceImageArgs(
            prebuilt=settings.image,
            keep=cfg.image_keep,
            context=settings.build.context,
            dockerfile=settings.build.dockerfile_path,
        ),
        opts,
    )

    # ── load balancer ────────────────────────────────────────────────────────
    alb = lb.LoadBalancer(
        stack,
        load_balancer_type="application",
        internal=False,
        security_groups=[alb_sg.id],
        subnets=network.public_subnet_ids,
        drop_invalid_header_fields=True,
        idle_timeout=settings.request_timeout_s,  # the longest request the ALB waits for (default 60)
        opts=opts,
    )
    target_group = lb.TargetGroup(
        f"{stack}-api",
        port=settings.port,
        protocol="HTTP",
        target_type="ip",
        vpc_id=network.vpc_id,
        deregistration_delay=30,
        # Liveness, not readiness (docs/decisions/0096): a Redis blip must not make ECS replace every task.
        health_check={
            "path": settings.health.liveness,
            "matcher": "200",
            "interval": 15,
            "timeout": 5,
            "healthy_threshold": 2,
            "unhealthy_threshold": 3,
        },
        opts=opts,
    )
    serving = _listeners(stack, settings, alb, target_group, opts)
    # /metrics is scraped from inside; never routed by the public edge.
    lb.ListenerRule(
        f"{stack}-no-metrics",
        listener_arn=serving.arn,
        priority=10,
        conditions=[{"path_pattern": {"values": ["/metrics", "/metrics/*"]}}],
        actions=[
            {
                "type": "fixed-response",
                "fixed_response": {
                    "content_type": "application/json",
                    "status_code": "404",
                    "message_body": '{"detail":"Not Found"}',
                },
            }
        ],
        opts=opts,
    )
    public_host = settings.domain or alb.dns_name

    # ── ECS: cluster, roles, task definitions, services ──────────────────────
    cluster = ecs.Cluster(stack, settings=[{"name": "containerInsights", "value": "enabled"}], opts=opts)
    network_config = {
        "subnets": task_subnets,
        "security_groups": [tasks_sg.id],
        "assign_public_ip": not cfg.private_subnets,
    }
    accessory_urls, namespace = _accessories(
        stack,
        settings,
        aws_region,
        cluster,
        network,
        network_config,
        tasks_sg,
        PublicEdge(serving, alb_sg, ACCESSORY_RULE_PRIORITY),
        opts,
    )
    roles = ["api", *(w.name for w in settings.workers), *(f"schedule-{s.name}" for s in settings.schedules)]
    logs = {
        name: cloudwatch.LogGroup(
            f"{stack}-{name}", name=f"/ecs/{stack}/{name}", retention_in_days=cfg.log_retention_days, opts=opts
        )
        for name in roles
    }
    repository_arn = image.repository_arn if image.repository_arn is not None else ecr_repository_arn(settings.image)
    execution_role = aws_iam.role(
        f"{stack}-execution",
        "ecs-tasks.amazonaws.com",
        [
            *aws_iam.ecr_pull_statements(repository_arn),
            aws_iam.logs_statement([g.arn for g in logs.values()]),
            backend.secret_statement(),
            backend.migrate_secret_statement(),
        ],
        opts,
        description="ECS agent: pull the image, write logs, inject the runtime and migrate secrets",
    )
    task_role = aws_iam.role(
        f"{stack}-task",
        "ecs-tasks.amazonaws.com",
        backend.storage_statements(),
        opts,
        description="The service: objects in its bucket",
    )
    environment = pulumi.Output.all(
        backend.environment(settings, aws_region, settings.domain or alb.dns_name), *accessory_urls.values()
    ).apply(lambda v: {**v[0], **dict(zip(accessory_urls, v[1:], strict=True))})
    # Accessories with callsApi reach the API tasks as api.<stack>.internal (Cloud Map), which the API must accept.
    api_registry = None
    if namespace is not None and any(a.calls_api for a in settings.accessories):
        api_registry = discovery_service(f"{stack}-api", API_HOST, namespace, "the API, for accessories", opts)
        internal = f"{API_HOST}.{namespace_name(stack)}"
        environment = environment.apply(lambda env: {**env, **internal_host_env(env, internal)})
    secret_refs = pulumi.Output.all(**{k: backend.secrets.value_from(k) for k in backend.secrets.names})
    # The owner's URL: the migrate container's alone (the agent injects it; no container can read another's).
    migrate_refs = pulumi.Output.all(
        **{k: backend.migrate_secrets.value_from(k) for k in backend.migrate_secrets.names}
    )

    commands = settings.commands

    def task(name: str, cpu: int, memory: int, containers, tags: dict[str, str] | None = None) -> ecs.TaskDefinition:
        request = pulumi.Output.all(
            image.ref, environment, secret_refs, execution_role.arn, task_role.arn, migrate_refs
        ).apply(
            lambda v: ecs_render.register_request(
                ecs_render.TaskDefinition(
                    family=f"{stack}-{name}",
                    cpu=cpu,
                    memory=memory,
                    containers=containers(*v[:3], migrate_secrets=v[5]),
                    execution_role_arn=v[3],
                    task_role_arn=v[4],
                    tags=tags or {},
                )
            )
        )
        artifacts.publish(f"ecs/{name}.json", request.apply(ecs_render.render_request))
        return ecs.TaskDefinition(
            f"{stack}-{name}",
            family=f"{stack}-{name}",
            cpu=str(cpu),
            memory=str(memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn,
            volumes=[{"name": ecs_render.TMP_VOLUME}],
            container_definitions=request.apply(ecs_render.container_definitions_text),
            tags=tags,
            opts=opts,
        )

    def log(name: str) -> ecs_render.LogConfig:
        return ecs_render.LogConfig(group=f"/ecs/{stack}/{name}", region=aws_region, stream_prefix=name)

    api_task = task(
        "api",
        cfg.api_cpu,
        cfg.api_memory,
        lambda ref, env, secrets, migrate_secrets: [
            # Migrations before the new version takes traffic; the app serialises them with an advisory lock.
            # Only the database URLs: no embedding provider (migrations embed nothing, and OPENAI_API_KEY is not here).
            ecs_render.Container(
                name="migrate",
                image=ref,
                **ecs_render.split_argv(commands.migrate),
                log=log("api"),
                environment={k: v for k, v in env.items() if k != "EMBEDDING_PROVIDER"},
                secrets=migrate_secrets,
                essential=False,
            ),
            ecs_render.Container(
                name="api",
                image=ref,
                **ecs_render.split_argv(commands.api),
                log=log("api"),
                environment={**env, "PORT": str(settings.port)},
                secrets=secrets,
                port=settings.port,
                health_url=f"http://127.0.0.1:{settings.port}{settings.health.liveness}",
                depends_on_success=("migrate",),
            ),
        ],
    )
    rollout = {
        "deployment_circuit_breaker": {"enable": True, "rollback": True},
        "deployment_minimum_healthy_percent": 100,
        "deployment_maximum_percent": 200,
    }
    api_service = ecs.Service(
        f"{stack}-api",
        cluster=cluster.arn,
        task_definition=api_task.arn,
        desired_count=settings.api_replicas,
        launch_type="FARGATE",
        network_configuration=sdk_input(network_config),
        health_check_grace_period_seconds=HEALTH_GRACE_S,
        load_balancers=[
            {"target_group_arn": target_group.arn, "container_name": "api", "container_port": settings.port}
        ],
        **({"service_registries": {"registry_arn": api_registry.arn}} if api_registry is not None else {}),
        propagate_tags="SERVICE",
        enable_ecs_managed_tags=True,
        wait_for_steady_state=True,
        **rollout,
        tags=_size_tags(cfg.api_cpu, cfg.api_memory),
        # Autoscaling owns the running count after the first deployment.
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(ignore_changes=["desiredCount"], depends_on=[serving])
        ),
    )
    _autoscale(stack, settings, cluster, api_service, alb, target_group, opts)

    for worker in settings.workers:
        cpu, memory = fargate_task_size(worker.cpu, worker.memory)
        worker_task = task(
            worker.name,
            cpu,
            memory,
            lambda ref, env, secrets, w=worker, **_: [
                ecs_render.Container(
                    name="worker",
                    image=ref,
                    **ecs_render.split_argv(commands.worker_argv(w.queues)),
                    log=log(w.name),
                    environment=env,
                    secrets=secrets,
                    health_url=f"http://127.0.0.1:{WORKER_METRICS_PORT}/metrics",
                    stop_timeout=WORKER_STOP_TIMEOUT_S,
                ),
            ],
        )
        ecs.Service(
            f"{stack}-{worker.name}",
            cluster=cluster.arn,
            task_definition=worker_task.arn,
            desired_count=worker.replicas,
            launch_type="FARGATE",
            network_configuration=sdk_input(network_config),
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            **rollout,
            tags=_size_tags(cpu, memory),
            opts=opts,
        )

    # ── scheduled jobs: EventBridge Scheduler starts a one-off task per run ──
    jobs = ScheduledJobs(stack, opts) if settings.schedules else None  # set whenever the loop below runs
    for schedule in settings.schedules:
        job_task = task(
            f"schedule-{schedule.name}",
            JOB_CPU,
            JOB_MEMORY,
            lambda ref, env, secrets, s=schedule, **_: [
                ecs_render.Container(
                    name="job",
                    image=ref,
                    **ecs_render.split_argv(commands.task_argv(s.command)),
                    log=log(f"schedule-{s.name}"),
                    environment=env,
                    secrets=secrets,
                ),
            ],
            tags={TASK_ROLE_TAG: "job", "schedule": schedule.name},
        )
        assert jobs is not None
        jobs.add(
            schedule,
            cluster.arn,
            _run_task_statements(cluster, job_task, [execution_role, task_role]),
            argv=commands.task_argv(schedule.command),
            ecs_parameters={
                "task_definition_arn": job_task.arn,
                "launch_type": "FARGATE",
                "task_count": 1,
                "network_configuration": network_config,
                # Size tags on each run: cost allocation, and the offline cost model reads them.
                "tags": _size_tags(JOB_CPU, JOB_MEMORY),
            },
        )

    # ── alerting ─────────────────────────────────────────────────────────────
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
            "Scheduled job starts that failed after retries (dead-letter queue)",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "Maximum",
            {"QueueName": jobs.dead_letter.name},
            SCHEDULE_FAILED,
        )
    lb_dims = {"LoadBalancer": alb.arn_suffix, "TargetGroup": target_group.arn_suffix}
    alerts.ratio(
        "5xx-rate",
        "API 5xx responses above the shared error-rate threshold",
        "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count",
        "RequestCount",
        lb_dims,
        ERROR_RATE,
    )
    alerts.latency(
        "p95-latency",
        "API p95 latency above the shared threshold",
        "AWS/ApplicationELB",
        "TargetResponseTime",
        lb_dims,
        LATENCY_P95,
    )
    alerts.above_zero(
        "unhealthy-targets",
        "API tasks failing the ALB health check",
        "AWS/ApplicationELB",
        "UnHealthyHostCount",
        "Maximum",
        lb_dims,
        INSTANCE_DOWN,
    )
    if slack:  # the SLO's paging alerts come with a paging channel (docs/decisions/0118)
        alerts.burn_rates("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "RequestCount", lb_dims, AVAILABILITY)
    alerts.uptime(public_host, https=bool(settings.domain), threshold=API_DOWN, path=settings.health.liveness)
    if settings.budget_monthly_usd:
        alerts.budget(settings.budget_monthly_usd)

    scheme = "https" if settings.domain else "http"
    pulumi.export("url", pulumi.Output.concat(scheme, "://", public_host))
    pulumi.export("albDnsName", alb.dns_name)
    pulumi.export("image", image.ref)
    pulumi.export("cluster", cluster.name)
    pulumi.export("bucket", backend.bucket.name)
    pulumi.export("apiKeys", backend.api_keys)
    pulumi.export("alertTopic", alerts.topic_arn)


def _size_tags(cpu: int, memory: int) -> dict[str, str]:
    """Task size on the service (cost allocation reports and the offline cost model read it)."""
    return {"task-cpu": str(cpu), "task-memory": str(memory)}


def _accessories(
    stack: str,
    settings: Settings,
    aws_region: str,
    cluster: ecs.Cluster,
    network: Network,
    network_config: dict,
    tasks_sg,
    edge: PublicEdge,
    opts: pulumi.ResourceOptions | None,
) -> tuple[dict[str, pulumi.Output[str]], servicediscovery.PrivateDnsNamespace | None]:
    """One ECS service per accessory; returns ACCESSORY_<NAME>_URL -> http://<name>.<stack>.internal:<port>
    and the private DNS namespace (None without accessories)."""
    if not settings.accessories:
        return {}, None
    namespace = servicediscovery.PrivateDnsNamespace(
        f"{stack}-accessories",
        name=namespace_name(stack),
        vpc=network.vpc_id,
        description="accessories of the service, by name",
        opts=opts,
    )
    urls: dict[str, pulumi.Output[str]] = {}
    public = 0
    for accessory in settings.accessories:
        service = AccessoryService(
            f"{stack}-accessory-{accessory.name}",
            AccessoryServiceArgs(
                accessory=accessory,
                stack=stack,
                region=aws_region,
                cluster_arn=cluster.arn,
                vpc_id=network.vpc_id,
                subnets=network_config["subnets"],
                assign_public_ip=network_config["assign_public_ip"],
                clients=tasks_sg,
                namespace=namespace,
                log_retention_days=settings.fargate.log_retention_days,
                api_port=settings.port,
                edge=PublicEdge(edge.listener, edge.alb_security_group, edge.priority + public)
                if accessory.public
                else None,
            ),
            opts,
        )
        public += accessory.public
        if service.url is not None:
            urls[accessory.url_env] = service.url
    return urls, namespace


def _run_task_statements(cluster: ecs.Cluster, task: ecs.TaskDefinition, roles) -> list[pulumi.Output[dict]]:
    """RunTask of this task definition's family in this cluster, passing exactly its two roles."""
    return [
        pulumi.Output.all(task.arn, cluster.arn).apply(
            lambda v: {
                "Sid": "RunTask",
                "Effect": "Allow",
                "Action": ["ecs:RunTask"],
                "Resource": f"{v[0].rsplit(':', 1)[0]}:*",  # every revision of the family
                "Condition": {"ArnEquals": {"ecs:cluster": v[1]}},
            }
        ),
        # Tags on the started task (RunTask with tags needs TagResource on it).
        cluster.arn.apply(
            lambda arn: {
                "Sid": "TagTask",
                "Effect": "Allow",
                "Action": ["ecs:TagResource"],
                "Resource": f"{arn.replace(':cluster/', ':task/', 1)}/*",
                "Condition": {"StringEquals": {"ecs:CreateAction": "RunTask"}},
            }
        ),
        pulumi.Output.all(*[r.arn for r in roles]).apply(
            lambda arns: {
                "Sid": "PassTaskRoles",
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": list(arns),
                "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            }
        ),
    ]


def _listeners(
    stack: str,
    settings: Settings,
    alb: lb.LoadBalancer,
    target_group: lb.TargetGroup,
    opts: pulumi.ResourceOptions | None,
) -> lb.Listener:
    """HTTPS with an ACM certificate (and HTTP→HTTPS redirect) when a domain is set; else HTTP only."""
    forward = [{"type": "forward", "target_group_arn": target_group.arn}]
    if not settings.domain:
        return lb.Listener(
            f"{stack}-http",
            load_balancer_arn=alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=sdk_input(forward),
            opts=opts,
        )
    zone = settings.fargate.hosted_zone_id
    cert = acm.Certificate(stack, domain_name=settings.domain, validation_method="DNS", opts=opts)
    certificate_arn: pulumi.Output[str] = cert.arn
    if zone:
        option = cert.domain_validation_options[0]
        record = route53.Record(
            f"{stack}-cert-validation",
            zone_id=zone,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=300,
            allow_overwrite=True,
            opts=opts,
        )
        certificate_arn = acm.CertificateValidation(
            stack, certificate_arn=cert.arn, validation_record_fqdns=[record.fqdn], opts=opts
        ).certificate_arn
        route53.Record(
            f"{stack}-alias",
            zone_id=zone,
            name=settings.domain,
            type="A",
            aliases=[{"name": alb.dns_name, "zone_id": alb.zone_id, "evaluate_target_health": True}],
            opts=opts,
        )
    else:
        # The CNAME to create at your DNS host before the HTTPS listener can use the certificate.
        pulumi.export(
            "certificateValidation",
            cert.domain_validation_options.apply(
                lambda options: [
                    {"name": o.resource_record_name, "type": o.resource_record_type, "value": o.resource_record_value}
                    for o in options
                ]
            ),
        )
    lb.Listener(
        f"{stack}-http",
        load_balancer_arn=alb.arn,
        port=80,
        protocol="HTTP",
        default_actions=[
            {"type": "redirect", "redirect": {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}}
        ],
        opts=opts,
    )
    return lb.Listener(
        f"{stack}-https",
        load_balancer_arn=alb.arn,
        port=443,
        protocol="HTTPS",
        ssl_policy=TLS_POLICY,
        certificate_arn=certificate_arn,
        default_actions=sdk_input(forward),
        opts=opts,
    )


def _autoscale(
    stack: str,
    settings: Settings,
    cluster: ecs.Cluster,
    service: ecs.Service,
    alb: lb.LoadBalancer,
    target_group: lb.TargetGroup,
    opts: pulumi.ResourceOptions | None,
) -> None:
    cfg = settings.fargate
    minimum = cfg.min_tasks or settings.api_replicas
    target = appautoscaling.Target(
        f"{stack}-api",
        service_namespace="ecs",
        scalable_dimension="ecs:service:DesiredCount",
        resource_id=pulumi.Output.concat("service/", cluster.name, "/", service.name),
        min_capacity=minimum,
        max_capacity=max(minimum, cfg.max_tasks),
        opts=opts,
    )
    metrics = {
        "cpu": ({"predefined_metric_type": "ECSServiceAverageCPUUtilization"}, 70),
        "memory": ({"predefined_metric_type": "ECSServiceAverageMemoryUtilization"}, 80),
        "requests": (
            {
                "predefined_metric_type": "ALBRequestCountPerTarget",
                "resource_label": pulumi.Output.concat(alb.arn_suffix, "/", target_group.arn_suffix),
            },
            cfg.requests_per_target,
        ),
    }
    for name, (spec, value) in metrics.items():
        appautoscaling.Policy(
            f"{stack}-api-{name}",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": value,
                "predefined_metric_specification": spec,
                "scale_in_cooldown": 300,
                "scale_out_cooldown": 60,
            },
            opts=opts,
        )
