"""The config building blocks every settings module shares: the base model, names, workers, data services."""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from infra.settings.droplets import check_size
from infra.settings.secrets import SECRET_WHEN_PASSWORD, is_opaque

STRUCTURED: dict[str, JsonValue] = {"structured": True}

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
    url: SecretStr | None = Field(
        default=None,
        description=(
            "Secret. Bring-your-own DATABASE_URL: the app's role (rows only); nothing is provisioned when set."
        ),
        json_schema_extra=SECRET_WHEN_PASSWORD,
    )
    migrate_url: SecretStr | None = Field(
        default=None,
        description=(
            "Secret. With `url`: the owner's URL, given only to the migrate workload, which grants `url`'s role "
            "its rows. Unset: migrations run with `url`."
        ),
    )

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

    url: SecretStr | None = Field(
        default=None,
        description="Secret. Bring-your-own REDIS_URL (redis:// or rediss://).",
        json_schema_extra=SECRET_WHEN_PASSWORD,
    )

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

    enabled: bool = Field(
        default=True,
        description=(
            "Run Loki and Alloy next to Grafana (needs `monitoring`); Fargate/Cloud Run/Lambda keep platform logs."
        ),
    )
    retention_days: int = Field(default=7, ge=1, le=365, description="Days Loki keeps log lines (compactor retention).")


class DropletConfig(ConfigModel):
    """target droplet: one DigitalOcean droplet running docker compose."""

    region: str = Field(default="nyc3", pattern=r"^[a-z]{3}[0-9]$", description="DigitalOcean region slug.")
    size: str = Field(default="s-2vcpu-4gb", pattern=r"^[a-z0-9-]+$", description="Droplet size slug.")
    image: str = Field(default="ubuntu-24-04-x64", description="Droplet base image slug.")
    backups: bool = Field(default=False, description="Weekly droplet backups (+20% of the droplet price).")
    ssh_public_key: str = Field(
        default="",
        description="OpenSSH public key for the admin user; empty = generate one (private key is a secret output).",
    )
    admin_user: str = Field(
        default="deploy",
        pattern=r"^[a-z_][a-z0-9_-]{0,30}$",
        description="Admin login on the droplet (sudo, docker); root login is disabled.",
    )
    registry: str = Field(
        default="ai-service",
        pattern=r"^[a-z0-9-]{1,63}$",
        description="DigitalOcean container registry name (one per account; dev and prod share it).",
    )
    create_registry: bool = Field(
        default=True,
        description=(
            "This stack creates the registry (Starter tier, free); false = reference the one another stack created."
        ),
    )

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
