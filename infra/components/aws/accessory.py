"""An accessory (a third-party container next to the service) as its own ECS Fargate service.

    api / worker / job tasks ──port──> accessory task ──> (its own egress)
    ALB /<name>/* ─────────────port──┘  (only when `public`)
    accessory task ──8000──> api.<stack>.internal (the API tasks)  (only when `callsApi`)

Private by default: its security group admits only the service's tasks group (and the ALB's
when public). It is found by name through Cloud Map private DNS, not Service Connect:
standalone tasks started by EventBridge Scheduler (RunTask) cannot join Service Connect, DNS
needs no Envoy sidecar in every api/worker task, and the service definitions stay as they are.
Nothing here reads the service image, so a service release never restarts an accessory.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_aws import cloudwatch, ec2, ecs, lb, servicediscovery

from infra.components import artifacts
from infra.components.aws import iam as aws_iam
from infra.components.aws.common import ecr_repository_arn
from infra.components.aws.network import allow_egress, allow_from, security_group
from infra.components.aws.secrets import AppSecrets
from infra.contract import API_PORT, TASK_ROLE_TAG
from infra.render.aws import ecs as ecs_render
from infra.settings.aws import fargate_task_size
from infra.settings.extras import API_URL_ENV, Accessory

API_HOST = "api"  # the API's Cloud Map name when an accessory calls it
DNS_TTL_S = 10  # a replaced task's new address is picked up within seconds
HEALTH_GRACE_S = 60


@dataclass(frozen=True)
class PublicEdge:
    """Where a public accessory is routed: a path rule on the serving listener of the ALB."""

    listener: lb.Listener
    alb_security_group: ec2.SecurityGroup
    priority: int


@dataclass(frozen=True)
class AccessoryServiceArgs:
    accessory: Accessory
    stack: str
    region: str
    cluster_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnets: list[pulumi.Input[str]]
    assign_public_ip: bool
    clients: ec2.SecurityGroup  # the service's tasks: the only group admitted when private
    namespace: servicediscovery.PrivateDnsNamespace
    log_retention_days: int
    edge: PublicEdge | None = None
    api_port: int = API_PORT  # ai-service:port


def discovery_service(
    name: str,
    host: str,
    namespace: servicediscovery.PrivateDnsNamespace,
    description: str,
    opts: pulumi.ResourceOptions | None,
) -> servicediscovery.Service:
    """`<host>.<namespace>`: an A record per task of the ECS service that registers with it."""
    return servicediscovery.Service(
        name,
        name=host,
        description=description,
        dns_config={
            "namespace_id": namespace.id,
            "routing_policy": "MULTIVALUE",
            "dns_records": [{"type": "A", "ttl": DNS_TTL_S}],
        },
        health_check_custom_config={},
        opts=opts,
    )  # ECS reports task health; stopped tasks are deregistered


def api_url(stack: str, api_port: int = API_PORT) -> str:
    """AI_SERVICE_API_URL of an accessory with `callsApi`: the API tasks by Cloud Map name, on the API port."""
    return f"http://{API_HOST}.{namespace_name(stack)}:{api_port}"


def namespace_name(stack: str) -> str:
    """The Cloud Map private DNS namespace of the stack's accessories (and of the API when they call it)."""
    return f"{stack}.internal"


def size(accessory: Accessory) -> tuple[int, int]:
    """The Fargate task size (CPU units, MiB) holding the accessory's limits."""
    return fargate_task_size(accessory.cpu, accessory.memory)


class AccessoryService(pulumi.ComponentResource):
    url: pulumi.Output[str] | None  # http://<name>.<namespace>:<port>, None without a port

    def __init__(self, name: str, args: AccessoryServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:aws:AccessoryService", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        a = args.accessory
        family = f"{args.stack}-accessory-{a.name}"

        group = security_group(family, args.vpc_id, f"accessory {a.name}: only from the service's tasks", child)
        allow_egress(f"{family}-out", group, f"accessory {a.name} to its own dependencies", child)
        if a.port is not None:
            allow_from(f"{family}-from-tasks", group, a.port, args.clients, f"{a.name} from the service's tasks", child)
        if a.calls_api:  # webhooks: the API's port of the service's tasks, from this accessory only
            allow_from(f"{family}-to-api", args.clients, args.api_port, group, f"API from accessory {a.name}", child)
        if args.edge is not None and a.port is not None:
            allow_from(
                f"{family}-from-alb", group, a.port, args.edge.alb_security_group, f"{a.name} from the ALB", child
            )
            allow_egress(
                f"{args.stack}-alb-to-{a.name}",
                args.edge.alb_security_group,
                f"ALB to accessory {a.name}",
                child,
                port=a.port,
                destination=group,
            )

        log_name = f"/ecs/{args.stack}/accessory-{a.name}"
        log = cloudwatch.LogGroup(family, name=log_name, retention_in_days=args.log_retention_days, opts=child)
        secrets: AppSecrets | None = None
        statements: list[pulumi.Input[dict]] = [
            *aws_iam.ecr_pull_statements(ecr_repository_arn(a.image)),
            aws_iam.logs_statement([log.arn]),
        ]
        if a.secret_env:
            secrets = AppSecrets(
                family,
                {k: pulumi.Output.secret(v.get_secret_value()) for k, v in a.secret_env.items()},
                child,
                description=f"accessory {a.name} secret env (JSON: env name -> value)",
            )
            statements.append(
                secrets.arn.apply(
                    lambda arn: {
                        "Sid": "AccessorySecrets",
                        "Effect": "Allow",
                        "Action": ["secretsmanager:GetSecretValue"],
                        "Resource": arn,
                    }
                )
            )
        # Its own execution role: it may read this accessory's secret and nothing of the service's.
        execution_role = aws_iam.role(
            f"{family}-execution",
            "ecs-tasks.amazonaws.com",
            statements,
            child,
            description=f"ECS agent for accessory {a.name}: pull, logs, its secret",
        )

        cpu, memory = size(a)
        secret_refs = (
            pulumi.Output.all(**{k: secrets.value_from(k) for k in secrets.names})
            if secrets
            else pulumi.Output.from_input({})
        )
        request = pulumi.Output.all(secret_refs, execution_role.arn).apply(
            lambda v: ecs_render.register_request(
                ecs_render.TaskDefinition(
                    family=family,
                    cpu=cpu,
                    memory=memory,
                    execution_role_arn=v[1],
                    task_role_arn=None,  # no AWS identity
                    tags={TASK_ROLE_TAG: "accessory"},
                    containers=[
                        ecs_render.Container(
                            name=a.name,
                            image=a.image,
                            command=a.command,
                            environment={
                                **a.env,
                                **({API_URL_ENV: api_url(args.stack, args.api_port)} if a.calls_api else {}),
                            },
                            secrets=v[0],
                            port=a.port,
                            cpu=round(a.cpu * 1024),
                            memory=a.memory,
                            log=ecs_render.LogConfig(group=log_name, region=args.region, stream_prefix=a.name),
                        )
                    ],
                )
            )
        )
        artifacts.publish(f"ecs/accessory-{a.name}.json", request.apply(ecs_render.render_request))
        task = ecs.TaskDefinition(
            family,
            family=family,
            cpu=str(cpu),
            memory=str(memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            execution_role_arn=execution_role.arn,
            volumes=[{"name": ecs_render.TMP_VOLUME}],
            tags={TASK_ROLE_TAG: "accessory"},
            container_definitions=request.apply(ecs_render.container_definitions_text),
            opts=child,
        )

        discovery = discovery_service(family, a.name, args.namespace, f"accessory {a.name}", child)

        service_args: dict = {}
        depends_on: list[pulumi.Resource] = []
        if args.edge is not None:
            target_group = lb.TargetGroup(
                family,
                port=a.port,
                protocol="HTTP",
                target_type="ip",
                vpc_id=args.vpc_id,
                deregistration_delay=30,
                # Its paths are unknown: any HTTP answer below 500 from / means it serves.
                health_check={
                    "path": "/",
                    "matcher": "200-499",
                    "interval": 15,
                    "timeout": 5,
                    "healthy_threshold": 2,
                    "unhealthy_threshold": 3,
                },
                opts=child,
            )
            # The ALB forwards /<name>/… unchanged (it cannot strip a prefix).
            rule = lb.ListenerRule(
                family,
                listener_arn=args.edge.listener.arn,
                priority=args.edge.priority,
                conditions=[{"path_pattern": {"values": [f"/{a.name}/*"]}}],
                actions=[{"type": "forward", "target_group_arn": target_group.arn}],
                opts=child,
            )
            service_args = {
                "load_balancers": [
                    {"target_group_arn": target_group.arn, "container_name": a.name, "container_port": a.port}
                ],
                "health_check_grace_period_seconds": HEALTH_GRACE_S,
            }
            depends_on.append(rule)
        ecs.Service(
            family,
            cluster=args.cluster_arn,
            task_definition=task.arn,
            desired_count=1,
            launch_type="FARGATE",
            network_configuration={
                "subnets": args.subnets,
                "security_groups": [group.id],
                "assign_public_ip": args.assign_public_ip,
            },
            service_registries={"registry_arn": discovery.arn},
            deployment_circuit_breaker={"enable": True, "rollback": True},
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            tags={"task-cpu": str(cpu), "task-memory": str(memory), "accessory": a.name},
            **service_args,
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

        self.security_group = group
        self.url = (
            args.namespace.name.apply(lambda zone: f"http://{a.name}.{zone}:{a.port}") if a.port is not None else None
        )
        self.register_outputs({"url": self.url})
