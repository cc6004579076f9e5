"""target cloudrun: Google Cloud Run with Cloud SQL, Memorystore and Secret Manager.

`gcp:project` and `gcp:region` are the provider's own keys; `region` here only overrides
where the service runs when it must differ from the provider default.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from infra.settings.base import ConfigModel

# Cloud Run accepts these vCPU counts (fractions below 1 need concurrency 1, so the API uses whole CPUs).
API_CPUS = (1, 2, 4, 6, 8)
MEMORY = re.compile(r"^[1-9][0-9]*(Mi|Gi)$")
CUSTOM_DB_TIER = re.compile(r"^db-custom-[1-9][0-9]?-[1-9][0-9]{2,5}$")
SHARED_DB_TIERS = ("db-f1-micro", "db-g1-small")

Ingress = Literal["all", "internal", "internal-and-cloud-load-balancing"]
INGRESS_VALUES: dict[str, str] = {
    "all": "INGRESS_TRAFFIC_ALL",
    "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "internal-and-cloud-load-balancing": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
}


def is_db_tier(tier: str) -> bool:
    return tier in SHARED_DB_TIERS or bool(CUSTOM_DB_TIER.match(tier))


# Cloud SQL for PostgreSQL's default max_connections by instance memory (GiB lower bound -> limit).
MAX_CONNECTIONS_BY_MEMORY = (
    (120, 1000),
    (60, 800),
    (30, 600),
    (15, 500),
    (7.5, 400),
    (6, 200),
    (3.75, 100),
    (1.7, 50),
    (0, 25),
)
SHARED_TIER_MEMORY_GIB = {"db-f1-micro": 0.6, "db-g1-small": 1.7}
SUPERUSER_RESERVED_CONNECTIONS = 3


def db_client_connections(tier: str) -> int:
    """Connections clients may open on `tier` (the default max_connections minus the reserved ones)."""
    custom = re.match(r"^db-custom-\d+-(\d+)$", tier)
    memory = int(custom[1]) / 1024 if custom else SHARED_TIER_MEMORY_GIB[tier]
    limit = next(connections for floor, connections in MAX_CONNECTIONS_BY_MEMORY if memory >= floor)
    return limit - SUPERUSER_RESERVED_CONNECTIONS


def memory_mib(value: str) -> int:
    """'2Gi' -> 2048, '512Mi' -> 512."""
    return int(value[:-2]) * (1024 if value.endswith("Gi") else 1)


class CloudRunConfig(ConfigModel):
    """target cloudrun: sizes and exposure of the Cloud Run service and its managed backends."""

    region: str = Field(
        default="",
        pattern=r"^([a-z]+-[a-z]+[0-9])?$",
        description="Region of every regional resource; empty = gcp:region.",
    )
    api_cpu: int = Field(default=2, description="vCPU per API instance (1, 2, 4, 6 or 8).")
    api_memory: str = Field(default="2Gi", description="Memory per API instance (e.g. 512Mi, 2Gi).")
    min_instances: int = Field(
        default=1, ge=0, le=100, description="API instances kept warm (0 = scale to zero, cold starts; fine for dev)."
    )
    max_instances: int = Field(
        default=4,
        ge=1,
        le=1000,
        description=(
            "Upper bound of API autoscaling; x apiCpu processes x database.poolSize must fit the Cloud SQL tier's "
            "connections."
        ),
    )
    concurrency: int = Field(default=80, ge=1, le=1000, description="Concurrent requests per API instance.")
    public: bool = Field(default=False, description="Grant allUsers run.invoker (the API does its own API-key auth).")
    ingress: Ingress = Field(
        default="all", description="Who can reach the service: all, internal, internal-and-cloud-load-balancing."
    )
    db_tier: str = Field(
        default="db-g1-small",
        description="Cloud SQL tier: db-f1-micro (25 connections), db-g1-small (50) or db-custom-<vCPU>-<MiB>.",
    )
    db_disk_gb: int = Field(default=10, ge=10, le=65536, description="Cloud SQL SSD size in GB (grows automatically).")
    redis_tier: Literal["BASIC", "STANDARD_HA"] = Field(
        default="BASIC", description="Memorystore tier (STANDARD_HA adds a replica)."
    )
    redis_memory_gb: int = Field(default=1, ge=1, le=300, description="Memorystore capacity in GB.")
    notification_email: str = Field(
        default="", description="E-mail for uptime, alert and budget notifications; empty = letsencryptEmail or none."
    )
    billing_account: str = Field(
        default="",
        pattern=r"^([0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6})?$",
        description="Billing account id for a budget alert (needs budgetMonthlyUsd); empty = no budget.",
    )

    @field_validator("api_cpu")
    @classmethod
    def _cpu(cls, cpu: int) -> int:
        if cpu not in API_CPUS:
            raise ValueError(f"must be one of {', '.join(map(str, API_CPUS))} vCPU")
        return cpu

    @field_validator("api_memory")
    @classmethod
    def _memory(cls, memory: str) -> str:
        if not MEMORY.match(memory) or not 512 <= memory_mib(memory) <= 32768:
            raise ValueError(f"{memory!r} must be like 512Mi or 2Gi, between 512Mi and 32Gi")
        return memory

    @field_validator("db_tier")
    @classmethod
    def _tier(cls, tier: str) -> str:
        if not is_db_tier(tier):
            raise ValueError(f"{tier!r} is not db-f1-micro, db-g1-small or db-custom-<vCPU>-<MiB>")
        return tier

    @field_validator("notification_email")
    @classmethod
    def _email(cls, email: str) -> str:
        if email and not re.match(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", email):
            raise ValueError(f"{email!r} is not an e-mail address")
        return email
