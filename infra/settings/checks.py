"""Cross-key rules that depend on the target (a single field validator cannot see them).

Each rule returns (config key, problem) pairs; the loader prints them like field errors.
"""

from __future__ import annotations

from collections.abc import Callable

from infra.contract import connections_needed  # the same connection model as the droplet
from infra.settings.gcp import db_client_connections, is_db_tier
from infra.settings.model import Settings, Target
from infra.settings.schedules import command_problem, eventbridge_expression
from infra.settings.service import Commands

Problem = tuple[str, str]
LAMBDA_GATEWAY_WAIT_S = 30  # API Gateway HTTP APIs wait at most 30 s for an integration


def _droplet(settings: Settings) -> list[Problem]:
    problems: list[Problem] = []
    if not settings.ssh_allowed_cidrs:
        problems.append(
            ("sshAllowedCidrs", "required for target droplet: list the CIDRs allowed to SSH (e.g. your office /32)")
        )
    if settings.app_env == "production" and not settings.domain:
        # The service redirects plain HTTP to HTTPS in production; without a domain there is no certificate.
        problems.append(
            ("domain", "required for target droplet with appEnv production (TLS); or set appEnv: development")
        )
    if settings.domain and not settings.letsencrypt_email:
        problems.append(("letsencryptEmail", "required for target droplet when domain is set (Let's Encrypt account)"))
    if settings.image and "@sha256:" not in settings.image:
        # The release manifest pins what runs; a tag could move under a running release.
        problems.append(("image", "target droplet deploys by digest: use registry/name@sha256:<64 hex>"))
    return problems


def _cloud_sql_connections(settings: Settings) -> list[Problem]:
    run = settings.cloudrun
    tier = settings.database.size or run.db_tier
    if not is_db_tier(tier):
        return [
            ("database.size", f"{tier!r} is not a Cloud SQL tier (db-f1-micro, db-g1-small, db-custom-<vCPU>-<MiB>)")
        ]
    needed = connections_needed(
        run.max_instances, run.api_cpu, settings.database.pool_size, sum(w.replicas for w in settings.workers)
    )
    limit = db_client_connections(tier)
    if needed <= limit:
        return []
    return [
        (
            "cloudrun.maxInstances",
            f"{needed} database connections at full scale (maxInstances {run.max_instances} x "
            f"{run.api_cpu} processes x poolSize {settings.database.pool_size} + workers + migrate) but {tier} "
            f"allows {limit}; "
            "lower cloudrun.maxInstances or database.poolSize, or choose a larger cloudrun.dbTier",
        )
    ]


def _cloudrun(settings: Settings) -> list[Problem]:
    run = settings.cloudrun
    problems: list[Problem] = []
    if run.min_instances > run.max_instances:
        problems.append(
            ("cloudrun.minInstances", f"{run.min_instances} exceeds cloudrun.maxInstances ({run.max_instances})")
        )
    if settings.domain and run.ingress != "all":
        problems.append(
            (
                "cloudrun.ingress",
                f"{run.ingress!r} blocks the domain mapping of {settings.domain}; use 'all' or drop `domain`",
            )
        )
    if settings.database.url is None:
        problems += _cloud_sql_connections(settings)
    if run.billing_account and not settings.budget_monthly_usd:
        problems.append(
            ("budgetMonthlyUsd", "required when cloudrun.billingAccount is set: the budget alert needs an amount")
        )
    return problems


def _fargate(settings: Settings) -> list[Problem]:
    if settings.fargate.hosted_zone_id and not settings.domain:
        return [("fargate.hostedZoneId", "needs `domain`: the zone is used for the domain's record and certificate")]
    if not settings.domain and settings.app_env == "production":
        # The service redirects to HTTPS in production; the ALB can only serve TLS for a domain with an ACM certificate.
        return [
            (
                "domain",
                "target fargate in production needs a domain for HTTPS on the load balancer "
                "(or set appEnv development to serve plain HTTP on the ALB address)",
            )
        ]
    if (
        settings.embedding_provider == "openai"
        and settings.fargate.private_subnets
        and not settings.fargate.nat_gateway
    ):
        return [
            (
                "fargate.natGateway",
                "embeddingProvider openai needs internet egress from private subnets: "
                "set fargate.natGateway true (or privateSubnets false)",
            )
        ]
    return []


def _lambda(settings: Settings) -> list[Problem]:
    if settings.domain:
        return [
            ("domain", "target lambda serves on the API Gateway URL; a custom domain is not supported yet (unset it)")
        ]
    if settings.embedding_provider == "openai" and not settings.lambda_.nat_gateway:
        return [
            (
                "lambda.natGateway",
                "embeddingProvider openai needs internet egress from the VPC: set lambda.natGateway true",
            )
        ]
    return _lambda_contract(settings)


def _lambda_contract(settings: Settings) -> list[Problem]:
    """The image runs through its Lambda handler, behind a gateway that waits at most 30 s."""
    problems: list[Problem] = []
    if settings.commands != Commands():
        problems.append(
            (
                "commands",
                "target lambda runs the image through its Lambda handler, not commands: remove ai-service:commands "
                "(or use target fargate or cloudrun)",
            )
        )
    timeout = settings.request_timeout_s
    # The default means "what the target allows" (lambda.timeout); an explicit longer wait cannot be honoured.
    if timeout > LAMBDA_GATEWAY_WAIT_S and timeout != Settings.model_fields["request_timeout_s"].default:
        problems.append(
            (
                "requestTimeoutS",
                f"{timeout} s is longer than API Gateway waits for a Lambda ({LAMBDA_GATEWAY_WAIT_S} s): set at most "
                f"{LAMBDA_GATEWAY_WAIT_S}, or use target fargate or cloudrun for long requests",
            )
        )
    return problems


def _kubernetes(settings: Settings) -> list[Problem]:
    k8s = settings.kubernetes
    problems: list[Problem] = []
    if not k8s.cluster.create and k8s.kubeconfig is None:
        problems.append(
            (
                "kubernetes.kubeconfig",
                (
                    "required when kubernetes.cluster.create is false: set it with `pulumi config set --secret "
                    '--path kubernetes.kubeconfig "$(cat kubeconfig)"`'
                ),
            )
        )
    if not k8s.cluster.create and settings.database.url is None:
        # The managed Postgres is created in the DOKS cluster's VPC; an existing cluster has none we know of.
        problems.append(
            (
                "database.url",
                "required when kubernetes.cluster.create is false (the managed Postgres is created "
                "only next to a DOKS cluster): pulumi config set --secret --path ai-service:database.url 'postgresql://…'",
            )
        )
    if k8s.cluster.create and k8s.kubeconfig is not None:
        problems.append(
            (
                "kubernetes.kubeconfig",
                "set kubernetes.cluster.create to false to use an existing cluster (both are set)",
            )
        )
    if not settings.domain:
        problems.append(("domain", "required for target kubernetes: the Gateway's TLS certificate is issued for it"))
    if not settings.letsencrypt_email:
        problems.append(
            (
                "letsencryptEmail",
                "required for target kubernetes: Let's Encrypt's ClusterIssuer needs a contact address",
            )
        )
    hpa_min = k8s.hpa_min or settings.api_replicas
    if hpa_min > k8s.hpa_max:
        problems.append(
            ("kubernetes.hpaMax", f"{k8s.hpa_max} is below the API minimum ({hpa_min}, from hpaMin or apiReplicas)")
        )
    return problems


def _accessories_without_volumes(settings: Settings) -> list[Problem]:
    """Fargate and Cloud Run have no per-task persistent disk an accessory could keep its data on."""
    return [
        (
            f"accessories[{i}].volumes",
            f"target {settings.target.value} has no persistent volumes for accessories "
            f"({accessory.name}); run it on target droplet, kubernetes or local, or drop its volumes",
        )
        for i, accessory in enumerate(settings.accessories)
        if accessory.volumes
    ]


def _eventbridge_schedules(settings: Settings) -> list[Problem]:
    problems: list[Problem] = []
    for i, schedule in enumerate(settings.schedules):
        try:
            eventbridge_expression(schedule.cron)
        except ValueError as exc:
            problems.append((f"schedules[{i}].cron", str(exc)))
    return problems


def _no_accessories(settings: Settings) -> list[Problem]:
    if not settings.accessories:
        return []
    return [
        (
            "accessories",
            "target lambda runs the API only; accessories need a container host "
            "(droplet, kubernetes, local, fargate or cloudrun)",
        )
    ]


TARGET_RULES: dict[Target, Callable[[Settings], list[Problem]]] = {
    Target.DROPLET: _droplet,
    Target.FARGATE: lambda s: _fargate(s) + _accessories_without_volumes(s) + _eventbridge_schedules(s),
    Target.LAMBDA: lambda s: _lambda(s) + _no_accessories(s) + _eventbridge_schedules(s),
    Target.CLOUDRUN: lambda s: _cloudrun(s) + _accessories_without_volumes(s),
    Target.KUBERNETES: _kubernetes,
}


def _schedule_commands(settings: Settings) -> list[Problem]:
    """The reference service's scheduled commands are known; another app's (`commands.task`) are its own."""
    if not settings.commands.is_reference:
        return []
    problems: list[Problem] = []
    for i, schedule in enumerate(settings.schedules):
        problem = command_problem(schedule.command)
        if problem:
            problems.append((f"schedules[{i}].command", problem))
    return problems


def _accessory_urls_are_the_stacks(settings: Settings) -> list[Problem]:
    """ACCESSORY_<NAME>_URL is how the stack tells the app where an accessory is: one source."""
    urls = {a.url_env for a in settings.accessories}
    return [
        (f"{key}.{name}", "set by the stack from ai-service:accessories; remove it here")
        for key, names in (("env", settings.env), ("secretEnv", settings.secret_env))
        for name in sorted(set(names) & urls)
    ]


def target_problems(settings: Settings) -> list[Problem]:
    rule = TARGET_RULES.get(settings.target)
    own = _schedule_commands(settings) + _accessory_urls_are_the_stacks(settings)
    return own + (rule(settings) if rule else [])
