"""target droplet: one DigitalOcean droplet running the compose project (cost: docs/cost.md).

    internet ──80/443──▶ [cloud firewall] ──▶ droplet (reserved IP, DNS A record)
                          22 only from sshAllowedCidrs   nginx ─▶ api-1, api-2
                                                         worker-documents ×2, worker-cleanup
                                                         redis (AOF+RDB) unless redis.url, migrate (one-shot)
                                                         scheduler (settings.schedules), accessories
                                                         prometheus, alertmanager, grafana, exporters
    droplet ──private network──▶ managed Postgres 16 (DatabaseFirewall: droplet + VPC only) unless database.url
    droplet ──IAM key (this bucket only)──▶ S3 bucket: documents/, tmp/ (expiring), backups/, releases/
    pulumi up ──▶ s3://bucket/releases/{manifest,secrets}.json ──▶ agent on the droplet (timer)
                  ──▶ health-gated rolling update with automatic rollback

The droplet's user_data is first-boot only and independent of the image and release: an image
or config change updates the release objects in the bucket, never the droplet.
"""

from __future__ import annotations

import pulumi
import pulumi_random as random

from infra.components.artifacts import publish
from infra.components.aws.bucket import Bucket, BucketArgs
from infra.components.aws.bucket_user import BucketUser
from infra.components.aws.common import region as aws_region
from infra.components.digitalocean.database import CONNECTION_LIMITS, DEFAULT_SIZE, ManagedPostgres, ManagedPostgresArgs
from infra.components.digitalocean.host import DropletHost, DropletHostArgs
from infra.components.digitalocean.registry import ServiceImage, ServiceImageArgs
from infra.components.dockerhost.live_version import live_version
from infra.components.dockerhost.release import DockerHostRelease, ReleaseArgs, ReleaseSecrets
from infra.contract import connections_needed
from infra.render.dockerhost import capacity, topology
from infra.render.dockerhost.cloud_init import CloudInitInputs, render_cloud_config, user_data
from infra.settings import ConfigError, Settings


def check_capacity(settings: Settings) -> dict[str, int]:
    """Memory and database connection budgets, before any resource is registered; returns the memory limits."""
    probe = topology.HostProfile(
        image="probe", s3_bucket="probe", s3_region="probe", https_port=443 if settings.domain else None
    )
    specs = topology.docker_host_containers(settings, probe)
    problems = capacity.memory_problems(specs, settings.droplet.size)
    db_size = settings.database.size or DEFAULT_SIZE
    limit = CONNECTION_LIMITS.get(db_size)
    if limit is not None and not settings.database.url:
        workers = sum(w.replicas for w in settings.workers)
        needed = connections_needed(
            settings.api_replicas, topology.WEB_CONCURRENCY, settings.database.pool_size, workers
        )
        problems += capacity.connection_problems(needed, limit, db_size)
    if problems:
        raise ConfigError(problems)
    return topology.memory_budget(specs)


def _password(name: str, length: int = 32) -> pulumi.Output[str]:
    # Letters and digits only: the values go into URLs and env files unescaped.
    return random.RandomPassword(name, length=length, special=False).result


def _ssh_public_key(settings: Settings, name: str) -> pulumi.Input[str]:
    if settings.droplet.ssh_public_key:
        return settings.droplet.ssh_public_key
    import pulumi_tls as tls

    key = tls.PrivateKey(f"{name}-admin", algorithm="ED25519")
    pulumi.export("sshPrivateKey", pulumi.Output.secret(key.private_key_openssh))
    return key.public_key_openssh.apply(str.strip)


def _secret(value) -> pulumi.Output[str] | None:
    return pulumi.Output.secret(value.get_secret_value()) if value is not None else None


def deploy(settings: Settings) -> None:
    memory = check_capacity(settings)
    stack = pulumi.get_stack()
    name = f"ai-service-{stack}"
    tags = ("ai-service", f"stack-{stack}")
    region = aws_region("")
    conf = settings.droplet

    # Object storage (AWS S3) and the only identity the droplet has: a key for this bucket.
    bucket = Bucket(
        name,
        BucketArgs(
            tmp_expiry_days=settings.storage.tmp_expiry_days,
            backup_retention_days=settings.storage.backup_retention_days,
            protect=settings.protect,
        ),
    )
    bucket_user = BucketUser(f"{name}-host", bucket.arn)

    # First-boot stub: secret-free cloud-config (published) + a root-only credentials part. The admin
    # user and key, SSH CIDRs, domain and scripts travel with each release (editing them keeps the droplet).
    public_key = _ssh_public_key(settings, name)
    cloud_config = bucket.name.apply(lambda b: render_cloud_config(CloudInitInputs(s3_bucket=b, s3_region=region)))
    publish("cloud-init.yaml", cloud_config)
    boot = pulumi.Output.secret(
        pulumi.Output.all(cloud_config, bucket_user.access_key_id, bucket_user.secret_access_key).apply(
            lambda r: user_data(r[0], {"AWS_ACCESS_KEY_ID": r[1], "AWS_SECRET_ACCESS_KEY": r[2]})
        )
    )
    host = DropletHost(
        name,
        DropletHostArgs(
            region=conf.region,
            size=conf.size,
            image=conf.image,
            backups=conf.backups,
            ssh_allowed_cidrs=settings.ssh_allowed_cidrs,
            user_data=boot,
            tags=tags,
            domain=settings.domain,
            alert_email=settings.letsencrypt_email,
            health_path=settings.health.liveness,
        ),
    )

    # Managed Postgres on the droplet's private network; only the droplet gets in. database.url: none.
    if settings.database.url:
        database_url = pulumi.Output.secret(settings.database.url.get_secret_value())
        migrate_url = database_url
        if settings.database.migrate_url is not None:
            migrate_url = pulumi.Output.secret(settings.database.migrate_url.get_secret_value())
    else:
        db = ManagedPostgres(
            f"{name}-db",
            ManagedPostgresArgs(
                region=conf.region,
                size=settings.database.size or DEFAULT_SIZE,
                version=settings.database.version,
                vpc_id=host.vpc_id,
                vpc_cidr=host.vpc_cidr,
                droplet_id=host.droplet_id,
                tags=tags,
                protect=settings.protect,
            ),
        )
        database_url, migrate_url = db.url, db.admin_url

    # The service image, by digest (built from `build`, default app/, unless `image` is set).
    image = ServiceImage(
        name,
        ServiceImageArgs(
            registry=conf.registry,
            create_registry=conf.create_registry,
            region=conf.region,
            prebuilt=settings.image,
            context=settings.build.context,
            dockerfile=settings.build.dockerfile_path,
        ),
    )

    api_keys = _secret(settings.api_keys)
    if api_keys is None:
        api_keys = pulumi.Output.secret(_password(f"{name}-api-key").apply(lambda key: f"default:{key}"))
    pulumi.export("apiKeys", api_keys)  # tenant:key,… — send `Authorization: Bearer <key>`
    grafana_password = pulumi.Output.secret(_password(f"{name}-grafana"))
    if settings.monitoring:
        pulumi.export("grafanaAdminPassword", grafana_password)
    release = DockerHostRelease(
        f"{name}-release",
        ReleaseArgs(
            settings=settings,
            stack=stack,
            image=image.ref,
            bucket=bucket.name,
            region=region,
            ssh_public_key=public_key,
            secrets=ReleaseSecrets(
                database_url=database_url,
                migrate_database_url=migrate_url,
                redis_password=None if settings.redis.url else pulumi.Output.secret(_password(f"{name}-redis")),
                secret_key=pulumi.Output.secret(_password(f"{name}-secret-key", 48)),
                api_keys=api_keys,
                aws_access_key_id=bucket_user.access_key_id,
                aws_secret_access_key=bucket_user.secret_access_key,
                grafana_admin_password=grafana_password,
                registry_config=image.pull_config,
                openai_api_key=_secret(settings.openai_api_key),
                slack_webhook_url=_secret(settings.alert_slack_webhook),
            ),
        ),
    )

    url = f"https://{settings.domain}" if settings.domain else host.ip_address.apply(lambda ip: f"http://{ip}")
    pulumi.export("url", url)
    pulumi.export("ipAddress", host.ip_address)
    pulumi.export("ssh", host.ip_address.apply(lambda ip: f"ssh {conf.admin_user}@{ip}"))
    pulumi.export("bucket", bucket.name)
    pulumi.export("image", image.ref)
    pulumi.export("releaseVersion", release.version)
    # `up` ends when the droplet's agent has the new image serving (or fails, naming what it saw).
    pulumi.export(
        "liveVersion",
        live_version(
            host.ip_address.apply(lambda ip: f"http://{ip}{settings.health.liveness}"),
            image.ref.apply(topology.image_version),
            release.version,
        ),
    )
    pulumi.export(
        "memoryLimitsMiB",
        {
            **memory,
            "total": sum(memory.values()),
            "allowed": int(capacity.droplet_memory_mib(conf.size) * capacity.HOST_MEMORY_SHARE),
        },
    )
