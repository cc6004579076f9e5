"""The settings model: every `ai-service:*` config key, its type, default and limits.

This model is the single source for validation, `Pulumi.yaml`'s `config:` schema, the JSON
Schema editors use for stack files, and docs/config.md (see infra/schema.py).
Scalar and array keys are declared in Pulumi.yaml; structured keys (objects and lists of
objects) are read with `require_object` and carry `STRUCTURED` in their field metadata.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic.alias_generators import to_camel

from infra.settings.droplets import check_size
from infra.settings.secrets import SECRET_WHEN_PASSWORD, is_opaque

STRUCTURED = {"structured": True}

DNS_NAME = re.compile(r"^(?=.{1,253}$)(?!-)([a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$")
RESOURCE_NAME = r"^[a-z][a-z0-9-]{0,30}$"
QUEUE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class Target(StrEnum):
    DROPLET = "droplet"
    KUBERNETES = "kubernetes"
    FARGATE = "fargate"
    CLOUDRUN = "cloudrun"
    LAMBDA = "lambda"
    LOCAL = "local"


class ConfigModel(BaseModel):
    """Immutable, strict about unknown keys (a typo must never be silently ignored)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
    )


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a CIDR block like 203.0.113.0/24 ({exc})") from None
    if network.prefixlen == 0:
        raise ValueError(f"{value} opens SSH to the whole internet; list your own addresses")
    return str(network)


Cidr = Annotated[str, AfterValidator(_cidr)]


class WorkerGroup(ConfigModel):
    """One RQ worker deployment: the same image, listening on `queues`."""

    name: str = Field(pattern=RESOURCE_NAME, description="Worker group name (lowercase, dashes).")
    queues: tuple[str, ...] = Field(min_length=1, description="RQ queues this group listens on, in priority order.")
    replicas: int = Field(default=1, ge=0, le=50, description="Worker processes/containers of this group.")
    cpu: float = Field(default=0.5, gt=0, le=8, description="vCPU limit per replica.")
    memory: int = Field(default=384, ge=128, le=32768, description="Memory limit per replica, MiB.")

    @field_validator("queues")
    @classmethod
    def _queue_names(cls, queues: tuple[str, ...]) -> tuple[str, ...]:
        bad = [q for q in queues if not QUEUE_NAME.match(q)]
        if bad:
            raise ValueError(f"queue names must match {QUEUE_NAME.pattern}: {', '.join(bad)}")
        return queues


DEFAULT_WORKERS = (
    WorkerGroup(name="documents", queues=("document_processing",), replicas=2, cpu=0.5, memory=384),
    WorkerGroup(name="cleanup", queues=("cleanup_tasks",), replicas=1, cpu=0.25, memory=256),
)


class DatabaseConfig(ConfigModel):
    """Postgres: provisioned per target unless `url` brings your own."""

    version: Literal[15, 16, 17] = Field(default=16, description="Postgres major version.")
    size: str = Field(default="", description="Instance size slug/class; empty = the target's default.")
    pool_size: int = Field(default=5, ge=1, le=50, description="SQLAlchemy pool size per process.")
    url: SecretStr | None = Field(default=None, description=(
        "Secret. Bring-your-own DATABASE_URL: the app's role (rows only); nothing is provisioned when set."),
        json_schema_extra=SECRET_WHEN_PASSWORD)
    migrate_url: SecretStr | None = Field(default=None, description=(
        "Secret. With `url`: the owner's URL, given only to the migrate workload, which grants `url`'s role "
        "its rows. Unset: migrations run with `url`."))

    @field_validator("url", "migrate_url")
    @classmethod
    def _postgres_url(cls, url: SecretStr | None) -> SecretStr | None:
        if url is None or is_opaque(url):
            return url
        if not url.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return url

    @model_validator(mode="after")
    def _migrate_url_needs_url(self) -> DatabaseConfig:
        if self.migrate_url is not None and self.url is None:
            raise ValueError("migrateUrl is for a bring-your-own database: set database.url (the app's URL) too")
        return self

    @property
    def brought_migrate_url(self) -> SecretStr | None:
        """The owner's URL for a bring-your-own database: `migrateUrl`, else `url` itself."""
        return self.migrate_url or self.url


class RedisConfig(ConfigModel):
    """Redis: provisioned per target unless `url` brings your own."""

    url: SecretStr | None = Field(default=None, description="Secret. Bring-your-own REDIS_URL (redis:// or rediss://).", json_schema_extra=SECRET_WHEN_PASSWORD)

    @field_validator("url")
    @classmethod
    def _redis_url(cls, url: SecretStr | None) -> SecretStr | None:
        if url is None or is_opaque(url):
            return url
        if not url.get_secret_value().startswith(("redis://", "rediss://")):
            raise ValueError("must be a redis:// or rediss:// URL")
        return url


class StorageConfig(ConfigModel):
    """Object storage layout rules shared by every target."""

    tmp_expiry_days: int = Field(default=1, ge=1, le=365, description="Days before objects under tmp/ expire.")
    backup_retention_days: int = Field(default=7, ge=1, le=3650, description="Days backups under backups/ are kept.")


class LogsConfig(ConfigModel):
    """Central logs: Loki + Alloy where the target hosts monitoring (droplet, local, kubernetes)."""

    enabled: bool = Field(default=True, description="Run Loki and Alloy next to Grafana (needs `monitoring`); Fargate/Cloud Run/Lambda keep platform logs.")
    retention_days: int = Field(default=7, ge=1, le=365, description="Days Loki keeps log lines (compactor retention).")


class DropletConfig(ConfigModel):
    """target droplet: one DigitalOcean droplet running docker compose."""

    region: str = Field(default="nyc3", pattern=r"^[a-z]{3}[0-9]$", description="DigitalOcean region slug.")
    size: str = Field(default="s-2vcpu-4gb", pattern=r"^[a-z0-9-]+$", description="Droplet size slug.")
    image: str = Field(default="ubuntu-24-04-x64", description="Droplet base image slug.")
    backups: bool = Field(default=False, description="Weekly droplet backups (+20% of the droplet price).")
    ssh_public_key: str = Field(default="", description="OpenSSH public key for the admin user; empty = generate one (private key is a secret output).")
    admin_user: str = Field(default="deploy", pattern=r"^[a-z_][a-z0-9_-]{0,30}$", description="Admin login on the droplet (sudo, docker); root login is disabled.")
    registry: str = Field(default="ai-service", pattern=r"^[a-z0-9-]{1,63}$", description="DigitalOcean container registry name (one per account; dev and prod share it).")
    create_registry: bool = Field(default=True, description="This stack creates the registry (Starter tier, free); false = reference the one another stack created.")

    @field_validator("size")
    @classmethod
    def _known_size(cls, size: str) -> str:
        return check_size(size)

    @field_validator("ssh_public_key")
    @classmethod
    def _openssh_key(cls, key: str) -> str:
        if key and not re.match(r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( .*)?$", key):
            raise ValueError("must be an OpenSSH public key line (ssh-ed25519 AAAA… comment)")
        return key


# Per-target models live in their own modules; imported here, after ConfigModel exists.
from infra.settings.aws import FargateConfig, LambdaConfig  # noqa: E402
from infra.settings.extras import DEFAULT_SCHEDULES, Accessory, Schedule  # noqa: E402
from infra.settings.gcp import CloudRunConfig  # noqa: E402
from infra.settings.kubernetes import KubernetesConfig  # noqa: E402
from infra.settings.local import LocalConfig  # noqa: E402


class Settings(ConfigModel):
    """All `ai-service:*` keys of one stack."""

    target: Target = Field(default=Target.LOCAL, description="Where the stack runs: droplet, kubernetes, fargate, cloudrun, lambda or local.")
    app_env: Literal["development", "production"] = Field(default="production", description="APP_ENV of the service (production: docs off, HTTPS redirect, strict hosts).")
    domain: str = Field(default="", description="Public DNS name (TLS and DNS record when set); empty = serve on the platform address.")
    letsencrypt_email: str = Field(default="", description="Contact address for Let's Encrypt certificates and uptime/budget alerts.")
    image: str = Field(default="", description="Prebuilt service image (registry/name@sha256:…); empty = build from app/.")
    api_replicas: int = Field(default=2, ge=1, le=50, description="API replicas (containers, pods, tasks or min instances).")
    monitoring: bool = Field(default=True, description="Run Prometheus, Alertmanager and Grafana (where the target hosts them).")
    protect: bool = Field(default=True, description="Pulumi `protect` (and deletion protection) on databases, buckets and volumes.")
    budget_monthly_usd: int = Field(default=0, ge=0, description="Plan fails when the estimated monthly cost exceeds this; 0 = no budget.")
    ssh_allowed_cidrs: tuple[Cidr, ...] = Field(default=(), description="CIDRs allowed to SSH to hosts (never 0.0.0.0/0); required by target droplet.")
    cors_origins: tuple[str, ...] = Field(default=(), description="CORS_ORIGINS of the service.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="LOG_LEVEL of the service.")
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024, description="Largest accepted upload (MAX_UPLOAD_BYTES); the edge proxy uses the same limit.")
    rate_limit_per_minute: int = Field(default=120, ge=1, le=100_000, description="Requests per client per minute (RATE_LIMIT_PER_MINUTE).")
    embedding_provider: Literal["local", "openai"] = Field(default="local", description="EMBEDDING_PROVIDER; changing it needs `ai-service reindex`.")
    embedding_dim: int = Field(default=384, ge=8, le=4096, description="EMBEDDING_DIM; changing it needs `ai-service reindex`.")

    openai_api_key: SecretStr | None = Field(default=None, description="Secret. OPENAI_API_KEY; without it a deterministic local embedder is used.")
    api_keys: SecretStr | None = Field(default=None, description="Secret. API_KEYS as tenant:key,…; empty = one generated key for tenant `default` (stack output).")
    alert_slack_webhook: SecretStr | None = Field(default=None, description="Secret. Slack incoming-webhook URL for Alertmanager; empty = alerts stay in Alertmanager.")

    workers: tuple[WorkerGroup, ...] = Field(default=DEFAULT_WORKERS, description="Worker groups: [{name, queues, replicas, cpu, memory}].", json_schema_extra=STRUCTURED)
    accessories: tuple[Accessory, ...] = Field(default=(), description="Extra containers next to the service: [{name, image, port, command, env, secretEnv, volumes[{name, path, sizeGi}], memory, cpu, public}].", json_schema_extra=STRUCTURED)
    schedules: tuple[Schedule, ...] = Field(default=DEFAULT_SCHEDULES, description="Scheduled jobs, UTC: [{name, cron, command}] (command = ai-service arguments); default: cleanup hourly.", json_schema_extra=STRUCTURED)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig, description="Postgres: {version, size, poolSize, url}.", json_schema_extra=STRUCTURED)
    redis: RedisConfig = Field(default_factory=RedisConfig, description="Redis: {url} to bring your own.", json_schema_extra=STRUCTURED)
    storage: StorageConfig = Field(default_factory=StorageConfig, description="Object storage: {tmpExpiryDays, backupRetentionDays}.", json_schema_extra=STRUCTURED)
    logs: LogsConfig = Field(default_factory=LogsConfig, description="Central logs (Loki + Alloy): {enabled, retentionDays}.", json_schema_extra=STRUCTURED)
    droplet: DropletConfig = Field(default_factory=DropletConfig, description="target droplet: {region, size, image, backups, sshPublicKey, adminUser, registry, createRegistry}.", json_schema_extra=STRUCTURED)
    fargate: FargateConfig = Field(default_factory=FargateConfig, description="target fargate: {region, apiCpu, apiMemory, privateSubnets, natGateway, cacheNodeType, minTasks, maxTasks, logRetentionDays, imageKeep, requestsPerTarget, hostedZoneId}.", json_schema_extra=STRUCTURED)
    lambda_: LambdaConfig = Field(default_factory=LambdaConfig, alias="lambda", description="target lambda: {region, memory, timeout, reservedConcurrency, natGateway, cacheNodeType, logRetentionDays}.", json_schema_extra=STRUCTURED)
    cloudrun: CloudRunConfig = Field(default_factory=CloudRunConfig, description="target cloudrun: {region, apiCpu, apiMemory, minInstances, maxInstances, concurrency, public, ingress, dbTier, dbDiskGb, redisTier, redisMemoryGb, notificationEmail, billingAccount}.", json_schema_extra=STRUCTURED)
    kubernetes: KubernetesConfig = Field(default_factory=KubernetesConfig, description="target kubernetes: {cluster{create, version, region, nodeSize, nodeCount, minNodes, maxNodes, haControlPlane, registryIntegration}, kubeconfig, context, namespace, hpaMin, hpaMax, workerHpaMax, apiCpu, apiMemory, gatewayClass, installGatewayController, installCertManager, acmeServer, storageProvider, registry, redisMemory, redisStorageGi, prometheusStorageGi, jobTimeoutS}.", json_schema_extra=STRUCTURED)
    local: LocalConfig = Field(default_factory=LocalConfig, description="target local: {httpPort, grafanaPort, prometheusPort, alertmanagerPort, postgresPort, s3Port, bucket} (all on 127.0.0.1).", json_schema_extra=STRUCTURED)

    @field_validator("domain")
    @classmethod
    def _dns_name(cls, domain: str) -> str:
        if domain and not DNS_NAME.match(domain):
            raise ValueError(f"{domain!r} is not a DNS name like api.example.com")
        return domain

    @field_validator("letsencrypt_email")
    @classmethod
    def _email(cls, email: str) -> str:
        if email and not re.match(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", email):
            raise ValueError(f"{email!r} is not an e-mail address")
        return email

    @field_validator("image")
    @classmethod
    def _image_ref(cls, image: str) -> str:
        if image and not re.match(r"^[a-z0-9][a-z0-9._/:-]*(@sha256:[a-f0-9]{64}|:[\w][\w.-]{0,127})$", image):
            raise ValueError("must be registry/name:tag or registry/name@sha256:<64 hex>")
        return image

    @field_validator("workers")
    @classmethod
    def _unique_workers(cls, workers: tuple[WorkerGroup, ...]) -> tuple[WorkerGroup, ...]:
        names = [w.name for w in workers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"worker names must be unique: {', '.join(duplicates)}")
        return workers

    @field_validator("accessories", "schedules")
    @classmethod
    def _unique_names(cls, items: tuple) -> tuple:
        names = [item.name for item in items]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"names must be unique: {', '.join(duplicates)}")
        return items

    @property
    def queues(self) -> tuple[str, ...]:
        """Every queue some worker group listens on, in first-seen order."""
        return tuple(dict.fromkeys(q for w in self.workers for q in w.queues))
