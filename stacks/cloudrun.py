"""target cloudrun — Google Cloud Run.

    Internet ─HTTPS─> Cloud Run service "api" (v2, autoscaled, health probes, optional domain)
                         │  Direct VPC egress (private ranges only)
    worker pools ────────┼──> Cloud SQL Postgres 16 (private IP, TLS, backups + PITR)
    migrate job ─────────┴──> Memorystore Redis (AUTH + TLS, private service access)
    all roles ──HMAC/S3 API──> GCS bucket            secrets ──> Secret Manager (pinned versions)
    Cloud Monitoring: uptime check on the liveness path, alert policies, e-mail channel, billing budget
    accessories ──> own Cloud Run service each (own account, internal ingress, run.invoker: api + workers)
    Cloud Scheduler ──OAuth──> Run Admin API jobs/<schedule>:run ──> Cloud Run Job (service image)

One service account per role; every grant is scoped to the one secret, bucket or instance it
opens. The migrate job runs (and must succeed) before the API rolls out a new revision; it alone
reads the owner's URL, and creates the app role the others connect as (rows only).
Every workload runs its role's argv from `commands` with the app's own `env` and `secretEnv`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pulumi
import pulumi_random as random

from infra.components.gcp import common
from infra.components.gcp.accessory import AccessoryArgs, AccessoryService
from infra.components.gcp.apis import BASE_APIS, BUDGET_API, DNS_API, SCHEDULER_API, SLACK_APIS, ProjectApis
from infra.components.gcp.cache import CacheArgs, MemorystoreRedis
from infra.components.gcp.database import CloudSqlPostgres, DatabaseArgs
from infra.components.gcp.identity import RoleIdentity
from infra.components.gcp.monitoring import BudgetAlert, BudgetArgs, MonitoringArgs, ServiceMonitoring
from infra.components.gcp.network import NetworkArgs, PrivateNetwork
from infra.components.gcp.registry import RegistryArgs, ServiceImage
from infra.components.gcp.run import JOB_NAME_LIMIT, SERVICE_NAME_LIMIT, ApiService, MigrationJob, WorkerPool
from infra.components.gcp.run_dns import PrivateRunDns
from infra.components.gcp.schedule import ScheduleArgs, ScheduledJob
from infra.components.gcp.secrets import StoredSecret
from infra.components.gcp.storage import S3_ENDPOINT, BucketArgs, ServiceBucket
from infra.render.dockerhost.topology import JOB_TIMEOUT_S
from infra.render.gcp.specs import Workload, argv_split, cpu_quantity, request_timeout_s, service_template
from infra.settings import Settings, WorkerGroup
from infra.settings.gcp import INGRESS_VALUES

REDIS_CA_DIR = "/etc/ai-service/redis-ca"
# Cloud Run worker pools start at 1 vCPU and 512 MiB; smaller worker sizes are raised to that.
POOL_MIN_CPU, POOL_MIN_MEMORY_MIB = 1.0, 512


def pool_size(worker: WorkerGroup) -> tuple[str, str]:
    return cpu_quantity(max(worker.cpu, POOL_MIN_CPU)), f"{max(worker.memory, POOL_MIN_MEMORY_MIB)}Mi"


def project_number() -> pulumi.Output[str]:
    """The project number (service agents and budgets name projects by number)."""
    from pulumi_gcp import organizations

    return organizations.get_project_output(project_id=common.project()).number


def deploy(settings: Settings) -> None:
    run = settings.cloudrun
    project = common.project()
    region = common.region(run.region)
    stack = pulumi.get_stack()
    prefix = common.physical_name("ai-service", stack, limit=40)
    protect = settings.protect

    # Private accessories are reached through the private run.app zone (PrivateRunDns).
    private_accessories = [a for a in settings.accessories if a.port is not None and not a.public]
    apis = ProjectApis(
        "apis",
        BASE_APIS
        + ((BUDGET_API,) if run.billing_account else ())
        + ((SCHEDULER_API,) if settings.schedules else ())
        + ((DNS_API,) if private_accessories else ())
        + (SLACK_APIS if settings.alert_slack_webhook else ()),
    )
    after_apis = pulumi.ResourceOptions(depends_on=apis.services)

    roles = {
        role: RoleIdentity(f"sa-{role}", common.suffixed_name(f"ais-{stack}", role, limit=30), role, opts=after_apis)
        for role in ("api", "worker", "migrate")
    }
    api, worker, migrate = roles["api"], roles["worker"], roles["migrate"]

    network = PrivateNetwork("vpc", NetworkArgs(region=region), opts=after_apis)
    image = ServiceImage(
        "image",
        RegistryArgs(
            project=project,
            region=region,
            repository_id=prefix,
            tag=stack,
            prebuilt=settings.image,
            context=settings.build.context,
            dockerfile=settings.build.dockerfile_path,
        ),
        opts=after_apis,
    )

    # Each role's grants; its workloads wait for them, or a first run could be denied its secrets.
    access: dict[str, list[pulumi.Resource]] = {role: [] for role in roles}

    def secret(key: str, value: pulumi.Input[str], readers: list[RoleIdentity]) -> StoredSecret:
        stored = StoredSecret(f"secret-{key}", f"{prefix}-{key}", value, readers, opts=after_apis)
        for reader in readers:
            access[reader.role].append(stored)
        return stored

    # Database: Cloud SQL unless `database.url` brings one.
    sql = None
    if settings.database.url is None:
        sql = CloudSqlPostgres(
            "db",
            DatabaseArgs(
                instance_name=prefix,
                region=region,
                version=settings.database.version,
                tier=settings.database.size or run.db_tier,
                disk_gb=run.db_disk_gb,
                network=network.peering.network,  # waits for private service access
                protect=protect,
            ),
            opts=pulumi.ResourceOptions(depends_on=[network.peering, *apis.services]),
        )
        app_db_url, admin_db_url = sql.app_url, sql.admin_url
    else:
        app_db_url = settings.database.url.get_secret_value()
        admin_db_url = (settings.database.migrate_url or settings.database.url).get_secret_value()
    database_url = secret("database-url", app_db_url, [api, worker, migrate])
    migrate_url = secret("migrate-database-url", admin_db_url, [migrate])

    # Redis: Memorystore unless `redis.url` brings one.
    cache = None
    if settings.redis.url is None:
        cache = MemorystoreRedis(
            "redis",
            CacheArgs(prefix, region, run.redis_tier, run.redis_memory_gb, network=network.peering.network),
            opts=pulumi.ResourceOptions(depends_on=[network.peering, *apis.services]),
        )
        redis_url_value: pulumi.Input[str] = cache.url
    else:
        redis_url_value = settings.redis.url.get_secret_value()
    redis_url = secret("redis-url", redis_url_value, [api, worker])
    redis_ca = secret("redis-ca", cache.ca_certificate, [api, worker]) if cache else None

    bucket = ServiceBucket(
        "bucket",
        BucketArgs(
            bucket_name=common.physical_name(prefix, project, limit=63),
            region=region,
            tmp_expiry_days=settings.storage.tmp_expiry_days,
            backup_retention_days=settings.storage.backup_retention_days,
            protect=protect,
        ),
        [api, worker],
        opts=after_apis,
    )
    access["api"].append(bucket)
    access["worker"].append(bucket)
    s3_secrets = {
        role: secret(f"s3-secret-{role}", key.secret, [roles[role]]) for role, key in bucket.hmac_keys.items()
    }

    if settings.api_keys is None:
        generated = random.RandomPassword("api-key", length=40, special=False)
        api_keys_value: pulumi.Input[str] = pulumi.Output.concat("default:", generated.result)
    else:
        api_keys_value = settings.api_keys.get_secret_value()
    pulumi.export("apiKeys", pulumi.Output.secret(api_keys_value))  # tenant:key,…
    api_keys = secret("api-keys", api_keys_value, [api])
    secret_key = secret(
        "secret-key", random.RandomPassword("secret-key", length=48, special=False).result, [api, worker]
    )
    openai = (
        secret("openai-api-key", settings.openai_api_key.get_secret_value(), [api, worker])
        if settings.openai_api_key
        else None
    )
    # The app's own secret env: one secret per name, read by every role of the image. Env names are
    # [A-Z0-9_], so lowercasing and `_` -> `-` keeps distinct names distinct.
    app_secrets = {
        name: secret(f"env-{name.lower().replace('_', '-')}", value.get_secret_value(), [api, worker, migrate])
        for name, value in sorted(settings.secret_env.items())
    }

    if sql is not None:
        # cloudsql.client is a project role; the IAM condition narrows it to this one instance.
        from pulumi_gcp import projects

        for identity in roles.values():
            access[identity.role].append(
                projects.IAMMember(
                    f"cloudsql-client-{identity.role}",
                    project=project,
                    role="roles/cloudsql.client",
                    member=identity.member,
                    condition={
                        "title": f"only {prefix}",
                        "expression": f'resource.name == "projects/{project}/instances/{prefix}" '
                        '&& resource.type == "sqladmin.googleapis.com/Instance"',
                    },
                    opts=pulumi.ResourceOptions(parent=identity, depends_on=apis.services),
                )
            )

    # Accessories come from their own config only (never the image), so a release leaves them alone.
    if private_accessories:
        PrivateRunDns("run-dns", common.physical_name(prefix, "run-app"), network.network.id, opts=after_apis)
    accessory_urls: dict[str, pulumi.Output[str]] = {}
    api_callers: list[pulumi.Output[str]] = []  # accounts of accessories with callsApi
    # The API's URL is known before the API exists (https://<service>-<project number>.<region>.run.app):
    # accessories are created first, since the API's env names them.
    api_url = pulumi.Output.concat("https://", prefix, "-", project_number(), ".", region, ".run.app")
    for extra in settings.accessories:
        deployed = AccessoryService(
            f"accessory-{extra.name}",
            AccessoryArgs(
                name=extra.name,
                image=extra.image,
                region=region,
                stack=stack,
                prefix=prefix,
                port=extra.port,
                command=extra.command,
                cpu=extra.cpu,
                memory_mib=extra.memory,
                public=extra.public,
                invokers=[api.member, worker.member],
                protect=protect,
                env=extra.env,
                secret_env={k: v.get_secret_value() for k, v in extra.secret_env.items()},
                api_url=api_url if extra.calls_api else None,
            ),
            opts=after_apis,
        )
        if extra.calls_api:
            api_callers.append(deployed.identity.member)
        if deployed.uri is not None:
            accessory_urls[extra.url_env] = deployed.uri

    common_env = {
        "APP_ENV": settings.app_env,
        "LOG_LEVEL": settings.log_level,
        "EMBEDDING_PROVIDER": settings.embedding_provider,
        "EMBEDDING_DIM": str(settings.embedding_dim),
        "DB_POOL_SIZE": str(settings.database.pool_size),  # the connection budget checked at config time
    } | settings.env  # the app's own (never a name the stack sets: checked at config time)
    commands = settings.commands

    def workload(identity: RoleIdentity, argv: tuple[str, ...], cpu: str, memory: str, *, storage: bool) -> Workload:
        env = dict(common_env)
        secrets = [database_url.env("DATABASE_URL"), *(stored.env(name) for name, stored in app_secrets.items())]
        files = []
        if identity is not migrate:
            env |= accessory_urls
            secrets += [redis_url.env("REDIS_URL"), secret_key.env("SECRET_KEY")]
            if redis_ca:
                files.append(redis_ca.file("redis-ca", REDIS_CA_DIR, "ca.pem"))
                env["REDIS_CA_CERT"] = f"{REDIS_CA_DIR}/ca.pem"
            if openai:
                secrets.append(openai.env("OPENAI_API_KEY"))
        else:
            secrets.append(migrate_url.env("MIGRATE_DATABASE_URL"))
        if storage:
            key = bucket.hmac_keys[identity.role]
            env |= {
                "S3_BUCKET": bucket.bucket.name,
                "S3_REGION": region,
                "S3_ENDPOINT_URL": S3_ENDPOINT,
                "AWS_ACCESS_KEY_ID": key.access_id,
            }
            secrets.append(s3_secrets[identity.role].env("AWS_SECRET_ACCESS_KEY"))
        command, args = argv_split(argv)
        return Workload(
            image.ref,
            args,
            cpu,
            memory,
            identity.email,
            network.network.id,
            network.subnet.id,
            env,
            tuple(secrets),
            tuple(files),
            command,
        )

    job = MigrationJob(
        "migrate",
        common.suffixed_name(prefix, "migrate", JOB_NAME_LIMIT),
        region,
        workload(migrate, commands.migrate, "1", "1Gi", storage=False),
        protect,
        depends_on=access["migrate"],
    )

    api_workload = workload(api, commands.api, cpu_quantity(run.api_cpu), run.api_memory, storage=True)
    api_env = dict(api_workload.env) | {
        "WEB_CONCURRENCY": str(run.api_cpu),  # one uvicorn process per vCPU
        "FORWARDED_ALLOW_IPS": "*",  # only Google's front end can reach the container
        "MAX_UPLOAD_BYTES": str(settings.max_upload_bytes),
        "RATE_LIMIT_PER_MINUTE": str(settings.rate_limit_per_minute),
        "CORS_ORIGINS": ",".join(settings.cors_origins),
        "ALLOWED_HOSTS": ",".join(h for h in (settings.domain, "*.run.app") if h),
    }
    api_secrets = api_workload.secrets + (api_keys.env("API_KEYS"),)
    template = service_template(
        dataclasses.replace(api_workload, env=api_env, secrets=api_secrets),
        min_instances=run.min_instances,
        max_instances=run.max_instances,
        concurrency=run.concurrency,
        timeout_s=request_timeout_s(settings.request_timeout_s),
        port=settings.port,
        liveness=settings.health.liveness,
        readiness=settings.health.readiness,
    )
    if run.public:
        invokers: Sequence[pulumi.Input[str]] = ["allUsers"]
    else:
        # The uptime check authenticates as the project's Monitoring service agent (OIDC token).
        invokers = [
            pulumi.Output.concat(
                "serviceAccount:service-", project_number(), "@gcp-sa-monitoring-notification.iam.gserviceaccount.com"
            ),
            *api_callers,  # accessories that call the API (webhooks)
        ]
    service = ApiService(
        "api",
        prefix,
        region,
        template,
        ingress=INGRESS_VALUES[run.ingress],
        invokers=invokers,
        domain=settings.domain,
        project=project,
        protect=protect,
        depends_on=[job.job, *access["api"]],  # migrations first
    )

    for group in settings.workers:
        cpu, memory = pool_size(group)
        WorkerPool(
            f"worker-{group.name}",
            common.suffixed_name(prefix, group.name, SERVICE_NAME_LIMIT),
            region,
            workload(worker, commands.worker_argv(group.queues), cpu, memory, storage=True),
            group.replicas,
            protect,
            depends_on=[job.job, *access["worker"]],
        )

    if settings.schedules:
        scheduler = RoleIdentity(
            "sa-scheduler", common.suffixed_name(f"ais-{stack}", "scheduler", limit=30), "scheduler", opts=after_apis
        )
        for schedule in settings.schedules:
            ScheduledJob(
                f"schedule-{schedule.name}",
                ScheduleArgs(
                    job_name=common.suffixed_name(prefix, f"cron-{schedule.name}", JOB_NAME_LIMIT),
                    project=project,
                    region=region,
                    cron=schedule.cron,
                    workload=workload(worker, commands.task_argv(schedule.command), "1", "512Mi", storage=True),
                    timeout_s=JOB_TIMEOUT_S,  # a scheduled command is bounded like a worker job
                    protect=protect,
                ),
                scheduler,
                depends_on=[job.job, *access["worker"]],  # runs against the migrated schema
                opts=after_apis,
            )

    email = run.notification_email or settings.letsencrypt_email
    slack = None
    if settings.alert_slack_webhook is not None:
        from infra.components.gcp.slack import SlackForwarder, SlackForwarderArgs

        slack = SlackForwarder(
            "slack",
            SlackForwarderArgs(
                project=project,
                project_number=project_number(),
                region=region,
                name_prefix=prefix,
                account_id=common.suffixed_name(f"ais-{stack}", "alerts", limit=30),
                webhook_url=pulumi.Output.secret(settings.alert_slack_webhook.get_secret_value()),
            ),
            opts=after_apis,
        )
    alerts = ServiceMonitoring(
        "monitoring",
        MonitoringArgs(
            project=project,
            service_name=prefix,
            service_uri=service.uri,
            database_id=f"{project}:{prefix}" if sql else None,
            redis_instance=prefix if cache else None,
            email=email,
            authenticated=not run.public,
            health_path=settings.health.liveness,
            slack_channel=slack.channel if slack else None,
        ),
        opts=after_apis,
    )
    if run.billing_account:
        BudgetAlert(
            prefix,
            BudgetArgs(run.billing_account, project_number(), settings.budget_monthly_usd, alerts.channels),
            opts=after_apis,
        )

    pulumi.export("url", pulumi.Output.concat("https://", settings.domain) if settings.domain else service.uri)
    pulumi.export("service", prefix)
    pulumi.export("image", image.ref)
    pulumi.export("bucket", bucket.bucket.name)
    if sql:
        pulumi.export("databaseInstance", sql.instance.connection_name)
