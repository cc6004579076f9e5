"""The settings model: every `ai-service:*` config key, its type, default and limits.

This model is the single source for validation, `Pulumi.yaml`'s `config:` schema, the JSON
Schema editors use for stack files, and docs/config.md (see infra/tooling/schema.py).
Scalar and array keys are declared in Pulumi.yaml; structured keys (objects and lists of
objects) are read with `require_object` and carry `STRUCTURED` in their field metadata.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator

from infra.contract import API_PORT, WORKER_METRICS_PORT
from infra.settings.aws import FargateConfig, LambdaConfig
from infra.settings.base import (
    DEFAULT_WORKERS,
    DNS_NAME,
    QUEUE_NAME,
    RESOURCE_NAME,
    STRUCTURED,
    Cidr,
    ConfigModel,
    DatabaseConfig,
    DropletConfig,
    LogsConfig,
    RedisConfig,
    StorageConfig,
    Target,
    WorkerGroup,
)
from infra.settings.extras import DEFAULT_SCHEDULES, Accessory, Schedule
from infra.settings.gcp import CloudRunConfig
from infra.settings.kubernetes import KubernetesConfig
from infra.settings.local import LocalConfig
from infra.settings.service import Build, Commands, HealthPaths, check_env_names, check_not_contract, check_plain_env

__all__ = [
    "STRUCTURED",
    "DNS_NAME",
    "RESOURCE_NAME",
    "QUEUE_NAME",
    "Target",
    "ConfigModel",
    "Cidr",
    "WorkerGroup",
    "DEFAULT_WORKERS",
    "DatabaseConfig",
    "RedisConfig",
    "StorageConfig",
    "LogsConfig",
    "DropletConfig",
    "Settings",
]


# What `_unique_names` checks: the lists whose entries are referenced by name.
Named = tuple[Accessory, ...] | tuple[Schedule, ...]


class Settings(ConfigModel):
    """All `ai-service:*` keys of one stack."""

    target: Target = Field(
        default=Target.LOCAL,
        description="Where the stack runs: droplet, kubernetes, fargate, cloudrun, lambda or local.",
    )
    app_env: Literal["development", "production"] = Field(
        default="production", description="APP_ENV of the service (production: docs off, HTTPS redirect, strict hosts)."
    )
    domain: str = Field(
        default="", description="Public DNS name (TLS and DNS record when set); empty = serve on the platform address."
    )
    letsencrypt_email: str = Field(
        default="", description="Contact address for Let's Encrypt certificates and uptime/budget alerts."
    )
    image: str = Field(
        default="", description="Prebuilt service image (registry/name@sha256:…); empty = build from app/."
    )
    build: Build = Field(
        default_factory=Build,
        description="While `image` is empty: {context, dockerfile} of the service image build (default app/).",
        json_schema_extra=STRUCTURED,
    )
    api_replicas: int = Field(
        default=2, ge=1, le=50, description="API replicas (containers, pods, tasks or min instances)."
    )
    monitoring: bool = Field(
        default=True, description="Run Prometheus, Alertmanager and Grafana (where the target hosts them)."
    )
    protect: bool = Field(
        default=True, description="Pulumi `protect` (and deletion protection) on databases, buckets and volumes."
    )
    budget_monthly_usd: int = Field(
        default=0, ge=0, description="Plan fails when the estimated monthly cost exceeds this; 0 = no budget."
    )
    ssh_allowed_cidrs: tuple[Cidr, ...] = Field(
        default=(), description="CIDRs allowed to SSH to hosts (never 0.0.0.0/0); required by target droplet."
    )
    cors_origins: tuple[str, ...] = Field(default=(), description="CORS_ORIGINS of the service.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="LOG_LEVEL of the service."
    )
    max_upload_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        le=100 * 1024 * 1024,
        description="Largest accepted upload (MAX_UPLOAD_BYTES); the edge proxy uses the same limit.",
    )
    rate_limit_per_minute: int = Field(
        default=120, ge=1, le=100_000, description="Requests per client per minute (RATE_LIMIT_PER_MINUTE)."
    )
    embedding_provider: Literal["local", "openai"] = Field(
        default="local", description="EMBEDDING_PROVIDER; changing it needs `ai-service reindex`."
    )
    embedding_dim: int = Field(
        default=384, ge=8, le=4096, description="EMBEDDING_DIM; changing it needs `ai-service reindex`."
    )

    port: int = Field(
        default=API_PORT,
        ge=1024,
        le=65535,
        description="Port the API listens on (PORT); probes, the edge and load balancers use it.",
    )
    request_timeout_s: int = Field(
        default=60,
        ge=5,
        le=3600,
        description="Longest API request the edge (nginx, load balancer, gateway, Cloud Run) waits for, seconds.",
    )
    health: HealthPaths = Field(
        default_factory=HealthPaths,
        description="The API's probe paths: {liveness, readiness}.",
        json_schema_extra=STRUCTURED,
    )
    commands: Commands = Field(
        default_factory=Commands,
        description=(
            "argv per role, the same image for all: {api, worker, migrate, scheduler, task}; default: the "
            "reference service's `ai-service <role>`."
        ),
        json_schema_extra=STRUCTURED,
    )
    env: dict[str, str] = Field(
        default_factory=dict,
        description="The app's own non-secret environment, for every role (secret-looking names are refused).",
        json_schema_extra=STRUCTURED,
    )
    secret_env: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Secret. The app's own secret environment (each value `secure:`), via the platform's secret store.",
        json_schema_extra=STRUCTURED,
    )

    openai_api_key: SecretStr | None = Field(
        default=None, description="Secret. OPENAI_API_KEY; without it a deterministic local embedder is used."
    )
    api_keys: SecretStr | None = Field(
        default=None,
        description="Secret. API_KEYS as tenant:key,…; empty = one generated key for tenant `default` (stack output).",
    )
    alert_slack_webhook: SecretStr | None = Field(
        default=None,
        description="Secret. Slack incoming-webhook URL every target posts its alerts to; empty = no Slack.",
    )

    workers: tuple[WorkerGroup, ...] = Field(
        default=DEFAULT_WORKERS,
        description="Worker groups: [{name, queues, replicas, cpu, memory}].",
        json_schema_extra=STRUCTURED,
    )
    accessories: tuple[Accessory, ...] = Field(
        default=(),
        description=(
            "Extra containers next to the service: [{name, image, port, command, env, secretEnv, volumes[{name, "
            "path, sizeGi}], memory, cpu, public}]."
        ),
        json_schema_extra=STRUCTURED,
    )
    schedules: tuple[Schedule, ...] = Field(
        default=DEFAULT_SCHEDULES,
        description=(
            "Scheduled jobs, UTC: [{name, cron, command}] (command = ai-service arguments); default: cleanup hourly."
        ),
        json_schema_extra=STRUCTURED,
    )
    database: DatabaseConfig = Field(
        default_factory=DatabaseConfig,
        description="Postgres: {version, size, poolSize, url}.",
        json_schema_extra=STRUCTURED,
    )
    redis: RedisConfig = Field(
        default_factory=RedisConfig, description="Redis: {url} to bring your own.", json_schema_extra=STRUCTURED
    )
    storage: StorageConfig = Field(
        default_factory=StorageConfig,
        description="Object storage: {tmpExpiryDays, backupRetentionDays}.",
        json_schema_extra=STRUCTURED,
    )
    logs: LogsConfig = Field(
        default_factory=LogsConfig,
        description="Central logs (Loki + Alloy): {enabled, retentionDays}.",
        json_schema_extra=STRUCTURED,
    )
    droplet: DropletConfig = Field(
        default_factory=DropletConfig,
        description=(
            "target droplet: {region, size, image, backups, sshPublicKey, adminUser, registry, createRegistry}."
        ),
        json_schema_extra=STRUCTURED,
    )
    fargate: FargateConfig = Field(
        default_factory=FargateConfig,
        description=(
            "target fargate: {region, apiCpu, apiMemory, privateSubnets, natGateway, cacheNodeType, minTasks, "
            "maxTasks, logRetentionDays, imageKeep, requestsPerTarget, hostedZoneId}."
        ),
        json_schema_extra=STRUCTURED,
    )
    lambda_: LambdaConfig = Field(
        default_factory=LambdaConfig,
        alias="lambda",
        description=(
            "target lambda: {region, memory, timeout, reservedConcurrency, natGateway, cacheNodeType, "
            "logRetentionDays}."
        ),
        json_schema_extra=STRUCTURED,
    )
    cloudrun: CloudRunConfig = Field(
        default_factory=CloudRunConfig,
        description=(
            "target cloudrun: {region, apiCpu, apiMemory, minInstances, maxInstances, concurrency, public, ingress, "
            "dbTier, dbDiskGb, redisTier, redisMemoryGb, notificationEmail, billingAccount}."
        ),
        json_schema_extra=STRUCTURED,
    )
    kubernetes: KubernetesConfig = Field(
        default_factory=KubernetesConfig,
        description=(
            "target kubernetes: {cluster{create, version, region, nodeSize, nodeCount, minNodes, maxNodes, "
            "haControlPlane, registryIntegration}, kubeconfig, context, namespace, hpaMin, hpaMax, workerHpaMax, "
            "apiCpu, apiMemory, gatewayClass, installGatewayController, installCertManager, acmeServer, "
            "storageProvider, registry, redisMemory, redisStorageGi, prometheusStorageGi, jobTimeoutS}."
        ),
        json_schema_extra=STRUCTURED,
    )
    local: LocalConfig = Field(
        default_factory=LocalConfig,
        description=(
            "target local: {httpPort, grafanaPort, prometheusPort, alertmanagerPort, postgresPort, s3Port, bucket} "
            "(all on 127.0.0.1)."
        ),
        json_schema_extra=STRUCTURED,
    )

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

    @field_validator("build")
    @classmethod
    def _build_or_image(cls, build: Build, info: ValidationInfo) -> Build:
        if info.data.get("image"):  # runs only when `build` is given
            raise ValueError("`image` is prebuilt, nothing is built: set either `image` or `build`, not both")
        return build

    @field_validator("port")
    @classmethod
    def _not_metrics_port(cls, port: int) -> int:
        if port == WORKER_METRICS_PORT:
            raise ValueError(f"{port} is the workers' metrics port; choose another")
        return port

    @field_validator("env")
    @classmethod
    def _plain_env(cls, env: dict[str, str]) -> dict[str, str]:
        check_env_names(env)
        check_not_contract(env)
        check_plain_env(env)
        return env

    @field_validator("secret_env")
    @classmethod
    def _secret_env(cls, env: dict[str, SecretStr]) -> dict[str, SecretStr]:
        check_env_names(env)
        check_not_contract(env)
        return env

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
    def _unique_names(
        cls, items: tuple[Accessory, ...] | tuple[Schedule, ...]
    ) -> tuple[Accessory, ...] | tuple[Schedule, ...]:
        names: list[str] = [item.name for item in items]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"names must be unique: {', '.join(duplicates)}")
        return items

    @model_validator(mode="after")
    def _env_once(self) -> Settings:
        clash = sorted(set(self.env) & set(self.secret_env))
        if clash:
            raise ValueError(f"{', '.join(clash)} set in both env and secretEnv")
        return self

    @property
    def queues(self) -> tuple[str, ...]:
        """Every queue some worker group listens on, in first-seen order."""
        return tuple(dict.fromkeys(q for w in self.workers for q in w.queues))
