"""The local Docker stack's variant of the docker-host topology (infra.render.dockerhost.topology).

Same services, healthchecks and limits as the droplet (accessories and the scheduler included);
what differs is the HostProfile: everything published on 127.0.0.1 only, no TLS, and two sidecars
the app waits for — Postgres 16 with pgvector (none with `database.url`) and an S3 server —
instead of managed Postgres and AWS S3.

S3 server: SeaweedFS (Apache-2.0, released every few weeks, versioned images). MinIO's
community images stopped in October 2025; Garage needs a cluster
layout and keys created through its admin CLI before the first request; moto keeps objects in
memory only, so documents would vanish with every restart. SeaweedFS runs as one container
(`weed server -s3`), persists to a volume and reads its S3 identities from a static JSON file.
Its healthcheck creates the bucket when missing and reports healthy only once the bucket
exists, so migrate and the app (which wait for the sidecars to be healthy) never start
against a missing bucket.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from infra.render.dockerhost.topology import (
    APP_ENV_FILE,
    MIGRATE_ENV_FILE,
    POSTGRES_ENV_FILE,
    REDIS_ENV_FILE,
    ContainerSpec,
    Healthcheck,
    HostProfile,
    Port,
    Volume,
    docker_host_containers,
    local_postgres,
)
from infra.render.observability import services as monitoring
from infra.settings import Settings

# renovate: datasource=docker depName=chrislusf/seaweedfs
SEAWEEDFS_IMAGE = "chrislusf/seaweedfs:4.02"
STORAGE = "storage"
S3_PORT = 8333
S3_REGION = "us-east-1"
S3_CONFIG_FILE = "secrets/s3.json"  # the S3 identities (access key + secret), mounted read-only
S3_CONFIG_PATH = "/etc/seaweedfs/s3.json"
STORAGE_MEMORY_MIB = 384
POSTGRES_DB = "ai_service"
APP_DB_USER = "ai_service_app"  # created and granted (rows only) by `ai-service migrate`
LOOPBACK = "127.0.0.1"
LOCAL_IMAGE_TAG = "ai-service:local"  # what `pulumi up -s local` builds (and `docker build -t` for compose users)
# The env files of the default local stack (python -m infra.render.dockerhost.local_secrets writes these; the Pulumi
# program supplies whatever its specs name, accessories' included, as secret values).
ENV_FILES = (APP_ENV_FILE, MIGRATE_ENV_FILE, REDIS_ENV_FILE, POSTGRES_ENV_FILE, monitoring.SECRET_REDIS_EXPORTER_ENV)


def _bucket_probe(bucket: str) -> Healthcheck:
    """Healthy = the S3 API answers and the bucket exists; a missing bucket is created, then the next probe passes."""
    listed = f"echo s3.bucket.list | weed shell 2>/dev/null | grep -qw {bucket}"
    create = f"echo 's3.bucket.create -name {bucket}' | weed shell >/dev/null 2>&1"
    script = f"wget -q -O /dev/null http://127.0.0.1:{S3_PORT}/healthz && {{ {listed} || {{ {create}; false; }}; }}"
    return Healthcheck(("CMD-SHELL", script), interval_s=5, timeout_s=10, retries=6, start_period_s=20)


def storage_server(settings: Settings) -> ContainerSpec:
    port = settings.local.s3_port
    return ContainerSpec(
        name=STORAGE,
        image=SEAWEEDFS_IMAGE,
        command=(
            "server",
            "-dir=/data",
            "-ip.bind=0.0.0.0",
            "-master.volumeSizeLimitMB=256",
            "-s3",
            f"-s3.port={S3_PORT}",
            f"-s3.config={S3_CONFIG_PATH}",
        ),
        environment={"GOMEMLIMIT": f"{STORAGE_MEMORY_MIB * 8 // 10}MiB"},
        ports=(Port(port, S3_PORT, LOOPBACK),) if port else (),
        volumes=(Volume(S3_CONFIG_FILE, S3_CONFIG_PATH), Volume("storage-data", "/data", read_only=False, named=True)),
        healthcheck=_bucket_probe(settings.local.bucket),
        memory_mib=STORAGE_MEMORY_MIB,
        cpus=0.5,
        role="storage",
    )


def local_profile(settings: Settings, image: str = LOCAL_IMAGE_TAG) -> HostProfile:
    postgres = () if settings.database.url else (local_postgres(POSTGRES_DB, settings.local.postgres_port or None),)
    return HostProfile(
        image=image,
        s3_bucket=settings.local.bucket,
        s3_region=S3_REGION,
        bind_address=LOOPBACK,
        http_port=settings.local.http_port,
        https_port=None,
        s3_endpoint_url=f"http://{STORAGE}:{S3_PORT}",
        sidecars=(*postgres, storage_server(settings)),
        publish_admin=True,
    )


def admin_ports(settings: Settings) -> dict[str, int]:
    """Monitoring container -> its 127.0.0.1 host port (ai-service:local)."""
    return {
        monitoring.PROMETHEUS: settings.local.prometheus_port,
        monitoring.GRAFANA: settings.local.grafana_port,
        monitoring.ALERTMANAGER: settings.local.alertmanager_port,
    }


def local_containers(settings: Settings, image: str = LOCAL_IMAGE_TAG) -> list[ContainerSpec]:
    """Every container of the local stack; raises if any port would be published beyond 127.0.0.1."""
    host_ports = admin_ports(settings)
    specs = []
    for spec in docker_host_containers(settings, local_profile(settings, image)):
        if spec.name in host_ports:
            spec = replace(spec, ports=tuple(replace(p, published=host_ports[spec.name]) for p in spec.ports))
        specs.append(spec)
    exposed = [f"{s.name} {p.host_ip}:{p.published}" for s in specs for p in s.ports if p.host_ip != LOOPBACK]
    if exposed:
        raise ValueError(f"the local stack publishes only on {LOOPBACK}, not: {', '.join(exposed)}")
    return specs


def s3_identities(access_key: str, secret_key: str) -> str:
    """SeaweedFS static S3 config: one identity, the service's (Admin: this server holds only its bucket)."""
    identity = {
        "name": "ai-service",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Read", "Write", "List", "Tagging", "Admin"],
    }
    return json.dumps({"identities": [identity]}, indent=2) + "\n"


def secret_env(
    *,
    secret_key: str,
    api_keys: str,
    s3_access_key: str,
    s3_secret_key: str,
    postgres_password: str | None = None,
    app_database_password: str | None = None,
    redis_password: str | None = None,
    database_url: str | None = None,
    migrate_database_url: str | None = None,
    redis_url: str | None = None,
    openai_api_key: str | None = None,
    app_secret_env: dict[str, str] | None = None,
) -> dict[str, dict[str, str]]:
    """Env file (relative path, as the specs name them) -> values. Secret: never rendered, only held as Pulumi secrets.

    The container's Postgres: `postgres` (superuser) migrates; the service connects as APP_DB_USER,
    which migrate creates with `app_database_password` and grants rows only. `database_url` /
    `redis_url` (bring your own) replace the Postgres / Redis container and its passwords;
    `migrate_database_url` is then the owner's URL (else `database_url` migrates too).
    `app_secret_env`: the app's own secretEnv, next to the service's other secrets in APP_ENV_FILE.
    """
    if (database_url is None) == (postgres_password is None) or (redis_url is None) == (redis_password is None):
        raise ValueError("give either the container's password or your own URL, for Postgres and for Redis")
    if database_url is None:
        if app_database_password is None:
            raise ValueError("the container's Postgres needs the app role's password too")
        migrate_database_url = f"postgresql://postgres:{postgres_password}@postgres:5432/{POSTGRES_DB}"
        database_url = f"postgresql://{APP_DB_USER}:{app_database_password}@postgres:5432/{POSTGRES_DB}"
    migrate_database_url = migrate_database_url or database_url
    app = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url or f"redis://:{redis_password}@redis:6379/0",
        "SECRET_KEY": secret_key,
        "API_KEYS": api_keys,
        "AWS_ACCESS_KEY_ID": s3_access_key,
        "AWS_SECRET_ACCESS_KEY": s3_secret_key,
    }
    if openai_api_key:
        app["OPENAI_API_KEY"] = openai_api_key
    app |= app_secret_env or {}
    files: dict[str, dict[str, Any]] = {
        APP_ENV_FILE: app,
        MIGRATE_ENV_FILE: {"MIGRATE_DATABASE_URL": migrate_database_url},  # the owner: the migrate container only
    }
    if postgres_password is not None:
        files[POSTGRES_ENV_FILE] = {"POSTGRES_PASSWORD": postgres_password}
    if redis_url is None:
        files[REDIS_ENV_FILE] = {"REDIS_PASSWORD": redis_password, "REDISCLI_AUTH": redis_password}
        files[monitoring.SECRET_REDIS_EXPORTER_ENV] = {"REDIS_PASSWORD": redis_password}
    else:
        files[monitoring.SECRET_REDIS_EXPORTER_ENV] = {"REDIS_ADDR": redis_url}
    return files
