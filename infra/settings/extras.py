"""Accessories (extra containers next to the service) and scheduled jobs, as config models.

Both are lists in stack config, validated here once; every target renders from them.
"""

from __future__ import annotations

import re

from croniter import croniter
from pydantic import Field, SecretStr, field_validator, model_validator

from infra.settings.base import RESOURCE_NAME, ConfigModel
from infra.settings.service import check_env_names, check_plain_env

IMAGE_REF = re.compile(r"^[a-z0-9][a-z0-9._/:-]*(@sha256:[a-f0-9]{64}|:[\w][\w.-]{0,127})$")
# Container and service names the service itself uses on the docker hosts and in the cluster.
RESERVED_NAMES = frozenset(
    {
        "nginx",
        "redis",
        "migrate",
        "postgres",
        "s3",
        "scheduler",
        "prometheus",
        "grafana",
        "alertmanager",
        "node-exporter",
        "redis-exporter",
        "loki",
        "alloy",
        "api",
        "worker",
        "storage",
        "ai-service",
    }
)
# Also a Kubernetes Service name (DNS label): no trailing dash.
ACCESSORY_NAME = r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$"
# The env var an accessory with `callsApi` gets: the API's base URL inside the platform's private network.
API_URL_ENV = "AI_SERVICE_API_URL"
# What the public edge sends as Content-Security-Policy for `/<name>/` unless the accessory says otherwise:
# a browser UI served from its own origin may run its own scripts, styles and websockets, nothing inline
# but styles, nothing from other origins but images; it may not be framed.
ACCESSORY_CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "font-src 'self' data:; connect-src 'self' wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
# `csp: upstream`: the edge passes the accessory's own Content-Security-Policy header through.
UPSTREAM_CSP = "upstream"
# One header value: printable, no quote, backslash, `$` (nginx variables) or braces.
CSP_VALUE = r"^[^\x00-\x1f\x7f\"\\${}]+$"


class AccessoryVolume(ConfigModel):
    """A persistent volume of an accessory (named volume, PVC)."""

    name: str = Field(pattern=RESOURCE_NAME, description="Volume name (unique within the accessory).")
    path: str = Field(pattern=r"^/[^\s:]*$", description="Absolute mount path inside the container.")
    size_gi: int = Field(default=1, ge=1, le=1000, description="Size in GiB (PVC request; counted in the disk budget).")


class Accessory(ConfigModel):
    """An extra container deployed next to the service (e.g. a WhatsApp gateway, a helpdesk)."""

    name: str = Field(
        pattern=ACCESSORY_NAME, description="Accessory name: container/Service name and `ACCESSORY_<NAME>_URL`."
    )
    image: str = Field(description="Pinned image: registry/name:tag or registry/name@sha256:<64 hex> (not :latest).")
    port: int | None = Field(
        default=None, ge=1, le=65535, description="Port it listens on; the service gets ACCESSORY_<NAME>_URL for it."
    )
    command: tuple[str, ...] = Field(default=(), description="Container command (args); empty = the image's default.")
    env: dict[str, str] = Field(default_factory=dict, description="Non-secret environment.")
    secret_env: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Secret environment (each value `secure:`); the platform's secret store, never plain env.",
    )
    volumes: tuple[AccessoryVolume, ...] = Field(default=(), description="Persistent volumes [{name, path, sizeGi}].")
    memory: int = Field(default=256, ge=32, le=32768, description="Memory limit, MiB (counted in the droplet budget).")
    cpu: float = Field(default=0.25, gt=0, le=8, description="vCPU limit.")
    public: bool = Field(
        default=False, description="Routed by the public edge under /<name>/ (needs `port`); private by default."
    )
    calls_api: bool = Field(
        default=False,
        description=f"May call the service's API inside the private network (webhooks); gets {API_URL_ENV}.",
    )
    csp: str = Field(
        default=ACCESSORY_CSP,
        pattern=CSP_VALUE,
        description=(
            "Content-Security-Policy the public edge sends for /<name>/ (public only); "
            f"`{UPSTREAM_CSP}` passes the accessory's own header through."
        ),
    )

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if name in RESERVED_NAMES or name.startswith(("api-", "worker-", "ai-service-")):
            raise ValueError(
                f"{name!r} is a name the service uses itself; reserved: {', '.join(sorted(RESERVED_NAMES))}, "
                "api-*, worker-*, ai-service-*"
            )
        return name

    @field_validator("image")
    @classmethod
    def _pinned(cls, image: str) -> str:
        if not IMAGE_REF.match(image) or image.endswith(":latest"):
            raise ValueError(
                f"{image!r} is not a pinned image: use registry/name:tag (not latest) or registry/name@sha256:<64 hex>"
            )
        return image

    @field_validator("env", "secret_env")
    @classmethod
    def _env_names(cls, env: dict[str, str]) -> dict[str, str]:
        check_env_names(env)
        return env

    @field_validator("env")
    @classmethod
    def _no_secrets_in_plain_env(cls, env: dict[str, str]) -> dict[str, str]:
        check_plain_env(env)
        return env

    @model_validator(mode="after")
    def _consistent(self) -> Accessory:
        if self.public and self.port is None:
            raise ValueError("public needs `port` (the edge routes /<name>/ to it)")
        if not self.public and "csp" in self.model_fields_set:
            raise ValueError("csp needs `public: true` (only the public edge sends it)")
        taken = sorted({API_URL_ENV} & (set(self.env) | set(self.secret_env))) if self.calls_api else []
        if taken:
            raise ValueError(f"{API_URL_ENV} is set by the platform when callsApi is true; drop it from env/secretEnv")
        clash = sorted(set(self.env) & set(self.secret_env))
        if clash:
            raise ValueError(f"{', '.join(clash)} set in both env and secretEnv")
        names = [v.name for v in self.volumes]
        if len(set(names)) != len(names):
            raise ValueError("volume names must be unique within an accessory")
        return self

    @property
    def url_env(self) -> str:
        """The service's env var that points at this accessory."""
        return f"ACCESSORY_{self.name.upper().replace('-', '_')}_URL"

    @property
    def passes_csp(self) -> bool:
        """The edge passes the accessory's own Content-Security-Policy through instead of setting one."""
        return self.csp == UPSTREAM_CSP


def _cron(expression: str) -> str:
    fields = expression.split()
    if len(fields) != 5 or not croniter.is_valid(expression):
        raise ValueError(
            f"{expression!r} is not a 5-field cron expression (minute hour day-of-month month day-of-week), "
            "e.g. '0 * * * *'"
        )
    return " ".join(fields)


class Schedule(ConfigModel):
    """A scheduled job: `ai-service <command…>` from the service image, in UTC, one run at a time."""

    name: str = Field(pattern=RESOURCE_NAME, description="Schedule name (CronJob / scheduler job name).")
    cron: str = Field(description="5-field cron expression, UTC (e.g. '0 * * * *').")
    command: tuple[str, ...] = Field(
        min_length=1,
        description="Arguments appended to `commands.task` (default `ai-service`), e.g. [enqueue-cleanup].",
    )

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, expression: str) -> str:
        return _cron(expression)


# The cleanup queue's periodic enqueueing (the `cleanup_tasks` queue, app/README.md) rides on schedules.
DEFAULT_SCHEDULES = (Schedule(name="cleanup", cron="0 * * * *", command=("enqueue-cleanup",)),)
