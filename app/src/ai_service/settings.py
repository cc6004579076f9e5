"""Service configuration from the environment (the names app/README.md's environment contract fixes)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Values people paste from examples; production must not run with them.
PLACEHOLDER_SECRETS = {
    "",
    "changeme",
    "change-me",
    "change_me",
    "secret",
    "placeholder",
    "dev",
    "development",
    "insecure",
    "test",
    "password",
    "please-change-me",
    "replace-me",
    "todo",
    "xxx",
}
QUEUE_DOCUMENTS = "document_processing"
QUEUE_CLEANUP = "cleanup_tasks"


def _csv(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return list(value)  # type: ignore[arg-type]


Csv = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    app_env: Literal["development", "production"] = "development"
    app_version: str = "dev"
    port: int = Field(8000, ge=1, le=65535)
    bind_host: str = "0.0.0.0"  # noqa: S104 - the container's port is the boundary; BIND_HOST for hosts without one
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    web_concurrency: int = Field(1, ge=1, le=64)
    metrics_port: int = Field(8001, ge=1, le=65535)

    database_url: str = "postgresql://postgres@localhost:5432/ai_service"
    migrate_database_url: str | None = None
    redis_url: str = "redis://localhost:6379/0"
    redis_ca_cert: str | None = None
    s3_bucket: str = "ai-service"
    s3_region: str = "us-east-1"
    s3_endpoint_url: str | None = None

    api_keys: Csv = []
    forwarded_allow_ips: str = "127.0.0.1"
    allowed_hosts: Csv = ["*"]
    # Names the service has on the platform's private network (accessories call it there, over plain
    # HTTP): accepted like ALLOWED_HOSTS and never redirected to HTTPS.
    internal_hosts: Csv = []
    cors_origins: Csv = []
    secret_key: str | None = None

    embedding_provider: Literal["local", "openai"] | None = None
    embedding_dim: int = Field(384, ge=8, le=4096)
    openai_api_key: str | None = None
    openai_base_url: str = "https://api.openai.com/v1"
    openai_embedding_model: str = "text-embedding-3-small"

    inline_jobs: bool = False
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1)
    rate_limit_per_minute: int = Field(120, ge=1)
    rate_limit_global_per_minute: int = Field(6000, ge=1)
    job_timeout_seconds: int = Field(300, ge=1)
    job_retries: int = Field(4, ge=0)
    # Retry n waits base * 2**n seconds (capped at max), each randomised by +-50% so a crowd of
    # jobs failing together does not come back together.
    job_retry_base_seconds: float = Field(2.0, gt=0)
    job_retry_max_seconds: float = Field(60.0, gt=0)
    # One budget for every client of a dependency (S3, Postgres, Redis): see timeouts.py.
    dependency_timeout_seconds: float = Field(5.0, gt=0, le=300)
    # The reconciler (reconcile.py) runs this often inside workers, and hourly with the cleanup job.
    reconcile_interval_seconds: int = Field(60, ge=1)
    # A queued/processing document whose job is gone (or failed on a dependency) for this long is re-enqueued.
    reconcile_grace_seconds: int = Field(30, ge=0)
    # An upload that never finished (row `pending`) is removed with its object after this long.
    pending_grace_seconds: int = Field(300, ge=0)
    # Uploads waiting on object storage at once per API process; more get 503 at once.
    upload_storage_concurrency: int = Field(8, ge=1)
    # Failed authentications per client address per minute before 429.
    auth_failures_per_minute: int = Field(10, ge=1)
    cleanup_ttl_seconds: int = Field(86400, ge=0)
    shutdown_grace_seconds: int = Field(30, ge=1)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        # uvicorn's convention is lower case (--log-level info); logging's is upper case.
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("api_keys", "allowed_hosts", "internal_hosts", "cors_origins", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> list[str]:
        return _csv(value)

    @field_validator("api_keys")
    @classmethod
    def _check_api_keys(cls, value: list[str]) -> list[str]:
        for item in value:
            tenant, sep, key = item.partition(":")
            if not sep or not tenant.strip() or not key.strip():
                raise ValueError("expected tenant:key pairs separated by commas")
        return value

    @field_validator(
        "s3_endpoint_url",
        "migrate_database_url",
        "redis_ca_cert",
        "openai_api_key",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _resolve(self) -> Settings:
        if self.embedding_provider is None:
            self.embedding_provider = "openai" if self.openai_api_key else "local"
        if self.embedding_provider == "openai" and not self.openai_api_key:
            raise ValueError("EMBEDDING_PROVIDER=openai needs OPENAI_API_KEY")
        if not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("REDIS_URL must start with redis:// or rediss://")
        return self

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    @property
    def tenant_keys(self) -> dict[str, str]:
        """Bearer key -> tenant."""
        pairs = (item.partition(":") for item in self.api_keys)
        return {key.strip(): tenant.strip() for tenant, _, key in pairs}

    def production_problems(self, *, needs_api_keys: bool) -> list[str]:
        """Reasons production must refuse to start (empty list: fine)."""
        if not self.production:
            return []
        problems = []
        if self.secret_key is None:
            problems.append("SECRET_KEY is required when APP_ENV=production")
        elif self.secret_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < 16:
            problems.append("SECRET_KEY is a placeholder or shorter than 16 characters; set a random value")
        if needs_api_keys and not self.api_keys:
            problems.append("API_KEYS is required when APP_ENV=production (tenant:key,...)")
        return problems


class ConfigError(Exception):
    """A configuration problem, already phrased as one line for the operator."""


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        name = "_".join(str(p) for p in item["loc"]).upper() or "configuration"
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{name}: {message}")
    return "; ".join(parts)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(f"invalid configuration: {_describe(exc)}") from None


def check_startup(settings: Settings, *, needs_api_keys: bool) -> None:
    problems = settings.production_problems(needs_api_keys=needs_api_keys)
    if problems:
        raise ConfigError("refusing to start: " + "; ".join(problems))
