"""Monthly cost rules for the AWS targets (fargate, lambda); list prices in prices.py, us-east-1.

Traffic-dependent lines state their assumption in the basis: ALB LCUs, NAT data, S3/ECR
storage, log volume, Lambda/API Gateway requests, and how long a scheduled run takes.
Accessories are ECS services (the service rule prices them); their Cloud Map name costs a
private hosted zone and one registered instance each.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from infra.contract import TASK_ROLE_TAG
from infra.settings import schedules
from infra.tooling.cost.items import CostItem, Unpriced, with_context
from infra.tooling.cost.prices import HOURS_PER_MONTH, PRICES
from infra.tooling.resources import PlannedResource
from infra.tooling.values import unwrapped

ASSUMED_ALB_LCU = 1.0  # average LCUs (a small API: well under 25 new connections/s, 1 GB/h)
ASSUMED_NAT_GB = 10.0
ASSUMED_BUCKET_GB = 10.0
ASSUMED_IMAGE_GB = 2.0
ASSUMED_LOG_GB = 2.0  # ingested per log group per month
ASSUMED_REQUESTS_M = 1.0  # Lambda / API Gateway: 1M requests a month…
ASSUMED_DURATION_S = 0.3  # …of 300 ms each
ASSUMED_JOB_MINUTES = 2.0  # a scheduled RunTask: image pull + start + run (Fargate bills 1 minute at least)
ASSUMED_LAMBDA_JOB_S, ASSUMED_LAMBDA_JOB_GB = 10.0, 1.0  # a scheduled invocation of the API function
ASSUMED_RELEASES, ASSUMED_MIGRATE_S = 30, 30.0  # the migrate function: one invocation per release
ASSUMED_ALERTS, ASSUMED_ALERT_S = 1000, 1.0  # the Slack forwarder: alarm notifications a month, seconds each
SCHEDULER_FREE_INVOCATIONS = 14_000_000  # EventBridge Scheduler free tier, per month and account
ASSUMED_AURORA_GB = 10.0


def _usd(key: str) -> float:
    return PRICES[key].usd


def _hourly(key: str, count: float = 1.0) -> float:
    return _usd(key) * HOURS_PER_MONTH * count


def _item(r: PlannedResource, usd: float, basis: str) -> CostItem:
    return CostItem(resource=r.name, type=r.type, monthly_usd=usd, basis=basis)


ASSUMED_NLB_NLCU = 1.0
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"


def _task_size(arn, resources: list[PlannedResource], fallback_tags: dict) -> tuple[float, float]:
    """vCPU and GB of the task definition `arn` names, read from its own cpu/memory inputs.

    Matched by ARN (or family, when the ARN is not known yet); a task definition outside the
    program (a literal ARN from elsewhere) falls back to `task-cpu`/`task-memory` tags, else
    raises Unpriced.
    """
    text = str(arn or "")
    family = text.rsplit("/", 1)[-1].split(":")[0]
    for r in resources:
        if r.type != TASK_DEFINITION:
            continue
        outputs, props = unwrapped(r.outputs or {}), unwrapped(r.inputs)
        if text and (text == outputs.get("arn") or family == props.get("family")):
            if props.get("cpu") and props.get("memory"):
                return int(props["cpu"]) / 1024, int(props["memory"]) / 1024
            containers = _containers(props)
            return sum(int(c.get("cpu") or 0) for c in containers) / 1024, sum(
                int(c.get("memory") or c.get("memoryReservation") or 0) for c in containers
            ) / 1024
    if fallback_tags.get("task-cpu"):
        return int(fallback_tags["task-cpu"]) / 1024, int(fallback_tags.get("task-memory", 0)) / 1024
    raise Unpriced(f"task definition {text or '?'} is not in this program")


def _containers(props: dict) -> list[dict]:
    try:
        return json.loads(props.get("containerDefinitions") or "[]")
    except json.JSONDecodeError:
        return []


def _ecs_service(r: PlannedResource, resources: list[PlannedResource]) -> Iterable[CostItem]:
    props = unwrapped(r.inputs)
    count = int(props.get("desiredCount", 1 if props.get("schedulingStrategy") != "DAEMON" else 0))
    if props.get("launchType") == "EC2" or props.get("capacityProviderStrategies"):
        strategies = [s.get("capacityProvider") for s in props.get("capacityProviderStrategies") or []]
        if props.get("launchType") == "EC2" or not all(str(s).startswith("FARGATE") for s in strategies):
            yield _item(r, 0.0, "EC2 launch type: the container instances are priced, not the tasks")
            return
    vcpu, gb = _task_size(props.get("taskDefinition"), resources, props.get("tags") or {})
    compute = count * HOURS_PER_MONTH * (vcpu * _usd("aws.fargate.vcpu_hour") + gb * _usd("aws.fargate.gb_hour"))
    yield _item(r, compute, f"{count} task(s) × {vcpu:g} vCPU/{gb:g} GB × {HOURS_PER_MONTH} h Fargate (Linux/x86)")
    if (props.get("networkConfiguration") or {}).get("assignPublicIp"):
        yield _item(
            r, _hourly("aws.ipv4.hour", count), f"{count} public IPv4 address(es) × $0.005/h (tasks in public subnets)"
        )


def _alb(r: PlannedResource) -> Iterable[CostItem]:
    props = unwrapped(r.inputs)
    kind = props.get("loadBalancerType") or "application"
    if kind == "network":
        yield _item(
            r,
            _hourly("aws.nlb.hour") + _hourly("aws.nlb.nlcu_hour", ASSUMED_NLB_NLCU),
            f"NLB hours + {ASSUMED_NLB_NLCU:g} NLCU average (assumed)",
        )
    elif kind == "gateway":
        raise Unpriced("gateway load balancer")
    else:
        yield _item(
            r,
            _hourly("aws.alb.hour") + _hourly("aws.alb.lcu_hour", ASSUMED_ALB_LCU),
            f"ALB hours + {ASSUMED_ALB_LCU:g} LCU average (assumed)",
        )
    if props.get("internal"):
        return
    subnets = len(props.get("subnets") or props.get("subnetMappings") or [])
    yield _item(
        r, _hourly("aws.ipv4.hour", subnets), f"{subnets} public IPv4 address(es) of the {kind} LB (one per AZ)"
    )


def _nat(r: PlannedResource) -> Iterable[CostItem]:
    yield _item(
        r,
        _hourly("aws.nat.hour") + ASSUMED_NAT_GB * _usd("aws.nat.gb"),
        f"one NAT gateway + {ASSUMED_NAT_GB:g} GB processed (assumed)",
    )


def _eip(r: PlannedResource) -> Iterable[CostItem]:
    yield _item(r, _hourly("aws.ipv4.hour"), "Elastic IP (public IPv4) × $0.005/h")


def _endpoint(r: PlannedResource) -> Iterable[CostItem]:
    props = unwrapped(r.inputs)
    if props.get("vpcEndpointType") != "Interface":
        return  # gateway endpoints (S3) are free
    azs = len(props.get("subnetIds") or [])
    yield _item(
        r, _hourly("aws.endpoint.hour", azs), f"interface endpoint in {azs} AZ(s) (data processing not counted)"
    )


def _rds(r: PlannedResource) -> Iterable[CostItem]:
    props = unwrapped(r.inputs)
    klass = props.get("instanceClass", "")
    price = PRICES.get(f"aws.rds.{klass}")
    if price is None:
        raise Unpriced(f"instance class {klass}")
    azs = 2 if props.get("multiAz") else 1
    yield _item(
        r,
        price.usd * HOURS_PER_MONTH * azs,
        f"{klass} {'multi' if azs == 2 else 'single'}-AZ PostgreSQL/MySQL × {HOURS_PER_MONTH} h",
    )
    storage = float(props.get("allocatedStorage", 0))
    yield _item(
        r, storage * azs * _usd("aws.rds.gp3_gb_month"), f"{storage:g} GB gp3 (backups up to the DB size are free)"
    )


def _aurora_instance(r: PlannedResource) -> Iterable[CostItem]:
    klass = unwrapped(r.inputs).get("instanceClass", "")
    price = PRICES.get(f"aws.aurora.{klass}")
    if price is None:
        raise Unpriced(f"Aurora instance class {klass}")
    yield _item(r, price.usd * HOURS_PER_MONTH, f"Aurora {klass} × {HOURS_PER_MONTH} h")


def _aurora_cluster(r: PlannedResource) -> Iterable[CostItem]:
    yield _item(
        r,
        ASSUMED_AURORA_GB * _usd("aws.aurora.gb_month"),
        f"{ASSUMED_AURORA_GB:g} GB Aurora storage (assumed; I/O not estimated; instances priced separately)",
    )


def _ebs(r: PlannedResource) -> Iterable[CostItem]:
    props = unwrapped(r.inputs)
    kind = props.get("type") or "gp3"
    price = PRICES.get(f"aws.ebs.{kind}_gb_month")
    if price is None:
        raise Unpriced(f"volume type {kind}")
    size = float(props.get("size") or 0)
    yield _item(r, size * price.usd, f"{size:g} GB {kind}")


def _rest_api(r: PlannedResource) -> Iterable[CostItem]:
    yield _item(
        r,
        ASSUMED_REQUESTS_M * _usd("aws.apigw.rest.million_requests"),
        f"assumed {ASSUMED_REQUESTS_M:g}M REST API requests",
    )


def _ssm_parameter(r: PlannedResource) -> Iterable[CostItem]:
    advanced = unwrapped(r.inputs).get("tier") == "Advanced"
    yield _item(
        r,
        _usd("aws.ssm.advanced_parameter_month") if advanced else 0.0,
        "advanced parameter" if advanced else "standard parameter: free",
    )


def _cache(r: PlannedResource) -> Iterable[CostItem]:
    props = unwrapped(r.inputs)
    node, nodes = props.get("nodeType", ""), int(props.get("numCacheClusters", 1))
    price = PRICES.get(f"aws.elasticache.{props.get('engine')}.{node}")
    if price is None:
        raise Unpriced(f"{props.get('engine')} node type {node}")
    else:
        yield _item(
            r, price.usd * HOURS_PER_MONTH * nodes, f"{nodes} × {node} ({props.get('engine')}) × {HOURS_PER_MONTH} h"
        )


def _flat(key: str, quantity: float, basis: str):
    def rule(r: PlannedResource) -> Iterable[CostItem]:
        yield _item(r, _usd(key) * quantity, basis)

    return rule


def _alarm(r: PlannedResource) -> Iterable[CostItem]:
    queries = unwrapped(r.inputs).get("metricQueries") or []
    metrics = sum(1 for q in queries if q.get("metric")) or 1
    yield _item(r, metrics * _usd("aws.cloudwatch.alarm_metric"), f"{metrics} alarm metric(s)")


def _health_check(r: PlannedResource) -> Iterable[CostItem]:
    https = unwrapped(r.inputs).get("type") == "HTTPS"
    yield _item(
        r,
        _usd("aws.route53.health_check") + (_usd("aws.route53.health_check_feature") if https else 0),
        "Route 53 health check" + (" with HTTPS" if https else ""),
    )


def _lambda(r: PlannedResource) -> Iterable[CostItem]:
    props = unwrapped(r.inputs)
    gb = int(props.get("memorySize", 128)) / 1024
    if (props.get("tags") or {}).get(TASK_ROLE_TAG) == "migrate":  # invoked once per release, not per request
        seconds = ASSUMED_RELEASES * ASSUMED_MIGRATE_S
        yield _item(
            r,
            seconds * gb * _usd("aws.lambda.gb_second"),
            f"assumed {ASSUMED_RELEASES:g} releases × {ASSUMED_MIGRATE_S:g} s × {gb:g} GB",
        )
        return
    if (props.get("tags") or {}).get(TASK_ROLE_TAG) == "alerts":  # invoked per alarm notification
        seconds = ASSUMED_ALERTS * ASSUMED_ALERT_S
        yield _item(
            r,
            seconds * gb * _usd("aws.lambda.gb_second") + ASSUMED_ALERTS / 1e6 * _usd("aws.lambda.million_requests"),
            f"assumed {ASSUMED_ALERTS:,} notifications × {ASSUMED_ALERT_S:g} s × {gb:g} GB",
        )
        return
    compute = ASSUMED_REQUESTS_M * 1e6 * ASSUMED_DURATION_S * gb * _usd("aws.lambda.gb_second")
    yield _item(
        r,
        compute + ASSUMED_REQUESTS_M * _usd("aws.lambda.million_requests"),
        f"assumed {ASSUMED_REQUESTS_M:g}M requests × {ASSUMED_DURATION_S:g} s × {gb:g} GB (no free tier)",
    )


def runs_per_month(expression: str) -> float:
    """Average runs a month of an EventBridge `cron(m h dom mon dow year)` expression (year `*`)."""
    *fields, _year = expression.removeprefix("cron(").removesuffix(")").split()
    return schedules.runs_per_month(*("*" if f == "?" else f for f in fields))


def _schedule(r: PlannedResource, resources: list[PlannedResource]) -> Iterable[CostItem]:
    props = unwrapped(r.inputs)
    runs = runs_per_month(props["scheduleExpression"])
    yield _item(
        r,
        max(0.0, runs - SCHEDULER_FREE_INVOCATIONS) / 1e6 * _usd("aws.scheduler.million_invocations"),
        f"EventBridge Scheduler: {runs:,.0f} invocation(s)/month, within the 14M/month free tier",
    )
    target = props.get("target") or {}
    ecs_target = target.get("ecsParameters")
    if ecs_target is None:  # Lambda: billed as requests and duration of the function
        gb_s = runs * ASSUMED_LAMBDA_JOB_S * ASSUMED_LAMBDA_JOB_GB
        yield _item(
            r,
            gb_s * _usd("aws.lambda.gb_second") + runs / 1e6 * _usd("aws.lambda.million_requests"),
            f"{runs:,.0f} invocation(s) × {ASSUMED_LAMBDA_JOB_S:g} s × {ASSUMED_LAMBDA_JOB_GB:g} GB (assumed)",
        )
        return
    vcpu, gb = _task_size(ecs_target.get("taskDefinitionArn"), resources, ecs_target.get("tags") or {})
    hours = runs * ASSUMED_JOB_MINUTES / 60
    yield _item(
        r,
        hours * (vcpu * _usd("aws.fargate.vcpu_hour") + gb * _usd("aws.fargate.gb_hour")),
        f"{runs:,.0f} RunTask run(s)/month × {ASSUMED_JOB_MINUTES:g} min (assumed) × {vcpu:g} vCPU/{gb:g} GB Fargate",
    )
    if (ecs_target.get("networkConfiguration") or {}).get("assignPublicIp"):
        yield _item(
            r, hours * _usd("aws.ipv4.hour"), f"public IPv4 for {hours:,.1f} task-hour(s) (tasks in public subnets)"
        )


COST_RULES = {
    "aws:ecs/service:Service": with_context(_ecs_service),
    "aws:lb/loadBalancer:LoadBalancer": _alb,
    "aws:alb/loadBalancer:LoadBalancer": _alb,
    "aws:rds/cluster:Cluster": _aurora_cluster,
    "aws:rds/clusterInstance:ClusterInstance": _aurora_instance,
    "aws:ebs/volume:Volume": _ebs,
    "aws:apigateway/restApi:RestApi": _rest_api,
    "aws:ssm/parameter:Parameter": _ssm_parameter,
    "aws:s3/bucketV2:BucketV2": _flat(
        "aws.s3.standard_gb_month", ASSUMED_BUCKET_GB, f"{ASSUMED_BUCKET_GB:g} GB S3 Standard (assumed)"
    ),
    "aws:ec2/natGateway:NatGateway": _nat,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _endpoint,
    "aws:rds/instance:Instance": _rds,
    "aws:elasticache/replicationGroup:ReplicationGroup": _cache,
    "aws:s3/bucket:Bucket": _flat(
        "aws.s3.standard_gb_month", ASSUMED_BUCKET_GB, f"{ASSUMED_BUCKET_GB:g} GB S3 Standard (assumed)"
    ),
    "aws:ecr/repository:Repository": _flat(
        "aws.ecr.gb_month", ASSUMED_IMAGE_GB, f"{ASSUMED_IMAGE_GB:g} GB of images (assumed)"
    ),
    "aws:cloudwatch/logGroup:LogGroup": lambda r: [
        _item(
            r,
            ASSUMED_LOG_GB * (_usd("aws.logs.ingest_gb") + _usd("aws.logs.store_gb_month")),
            f"{ASSUMED_LOG_GB:g} GB/month ingested and kept (assumed)",
        )
    ],
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _flat("aws.cloudwatch.composite_alarm", 1, "one composite alarm"),
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:secretsmanager/secret:Secret": _flat("aws.secretsmanager.secret_month", 1, "one secret"),
    "aws:lambda/function:Function": _lambda,
    "aws:scheduler/schedule:Schedule": with_context(_schedule),
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": _flat(
        "aws.route53.hosted_zone_month", 1, "Cloud Map private DNS namespace: one Route 53 private hosted zone"
    ),
    "aws:servicediscovery/service:Service": _flat(
        "aws.cloudmap.instance_month", 1, "one registered instance (1 accessory task)"
    ),
    "aws:apigatewayv2/api:Api": _flat(
        "aws.apigw.http.million_requests", ASSUMED_REQUESTS_M, f"assumed {ASSUMED_REQUESTS_M:g}M HTTP API requests"
    ),
}

# Types with no charge of their own (networking plumbing, IAM, configuration of priced resources).
FREE_TYPES = {
    "aws:acm/certificate:Certificate",
    "aws:acm/certificateValidation:CertificateValidation",
    "aws:apigatewayv2/integration:Integration",
    "aws:apigatewayv2/route:Route",
    "aws:apigatewayv2/stage:Stage",
    "aws:apigateway/resource:Resource",
    "aws:apigateway/method:Method",
    "aws:apigateway/integration:Integration",
    "aws:apigateway/deployment:Deployment",
    "aws:apigateway/stage:Stage",
    "aws:appautoscaling/policy:Policy",
    "aws:appautoscaling/target:Target",
    "aws:budgets/budget:Budget",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/route:Route",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/vpc:Vpc",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    "aws:ecs/cluster:Cluster",
    "aws:ecs/taskDefinition:TaskDefinition",
    "aws:elasticache/subnetGroup:SubnetGroup",
    "aws:iam/accessKey:AccessKey",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/user:User",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/group:Group",
    "aws:iam/groupPolicy:GroupPolicy",
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:lambda/permission:Permission",
    "aws:lb/listener:Listener",
    "aws:lb/listenerRule:ListenerRule",
    "aws:lb/targetGroup:TargetGroup",
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketObjectv2:BucketObjectv2",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketAclV2:BucketAclV2",
    "aws:s3/bucketAcl:BucketAcl",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:sns/topic:Topic",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:sqs/queue:Queue",
    "aws:sqs/queuePolicy:QueuePolicy",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:route53/record:Record",
    "aws:lambda/invocation:Invocation",
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
}
