"""The containers of one docker host (droplet or local), as plain data built from Settings.

One list, two renderings: `infra.render.dockerhost.compose` turns it into compose.yaml, and the memory
budget check sums its limits. The droplet and the local Docker stack differ only through
`HostProfile` (published address, TLS, managed vs. containerised Postgres and S3), so both
targets run the same services with the same healthchecks and limits.

The service's roles (migrate, api, workers, scheduler) run `settings.commands`: the argv's first word
is the container's entrypoint, the rest its command, so the image's own ENTRYPOINT/CMD never matter.
They listen on `settings.port`, are probed on `settings.health`, and share `app_environment`
(`settings.env` included); `settings.secret_env` travels with the other secrets, in APP_ENV_FILE.

Values in a ContainerSpec are what the container sees: `$VAR` in a command is expanded by
the container's shell, never by compose (the renderer escapes every `$`). Secrets are never
in a spec, only the names of env files (0600, written by the host component) that hold them.

Per-service memory limits (MiB) at the defaults — droplet, monitoring on:

| service            | count | MiB each | total |
|--------------------|-------|----------|-------|
| nginx              | 1     | 64       | 64    |
| api-1, api-2       | 2     | 384      | 768   |
| worker-documents-N | 2     | 384      | 768   |
| worker-cleanup-1   | 1     | 256      | 256   |
| redis              | 1     | 256      | 256   |
| migrate (one-shot) | 1     | 256      | 256   |
| monitoring (5)     |       |          | 736   |
| loki, alloy (logs) | 2     | 256, 128 | 384   |
| scheduler          | 1     | 144      | 144   |
| accessories        | each  | `memory` |       |
| total              |       |          | 3632 + accessories |

against 90% of a 4 GiB droplet (3686 MiB); the remaining 10% is the OS, dockerd and the
DigitalOcean agent.

Accessories (`settings.accessories`) are built from their own config only — never from the
service image or the app env — so a release that changes the image leaves their compose
definition, and so compose's config hash, untouched: `compose up -d --no-deps` keeps them running.
Bring your own (`redis.url`, `database.url`): no redis / postgres container; redis-exporter then
reads the external URL from its env file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypedDict

from infra.contract import SERVICE_ROLES
from infra.render.dockerhost.nginx import NginxInputs
from infra.render.observability import services as monitoring
from infra.render.observability.logs import LogInputs, log_services
from infra.render.observability.metrics import WORKER_METRICS_PORT
from infra.render.observability.render import MonitoringInputs
from infra.settings import ConfigError, Settings
from infra.settings.extras import API_URL_ENV, Accessory
from infra.settings.service import Argv

# renovate: datasource=docker depName=nginx
NGINX_IMAGE = "nginx:1.30.5-alpine"
# renovate: datasource=docker depName=redis
REDIS_IMAGE = "redis:7.4.11-alpine"
# renovate: datasource=docker depName=pgvector/pgvector
POSTGRES_IMAGE = "pgvector/pgvector:0.8.0-pg16"

WEB_CONCURRENCY = (
    1  # one uvicorn process per API replica (more processes per replica would not fit the droplet memory budget)
)
API_MEMORY_MIB = 384
API_CPUS = 0.5
MIGRATE_MEMORY_MIB = 256
NGINX_MEMORY_MIB = 64
REDIS_MEMORY_MIB = 256
POSTGRES_MEMORY_MIB = 512
# Redis must never evict queued jobs: it refuses writes at maxmemory instead (noeviction),
# and keeps headroom under the container limit for the AOF-rewrite fork.
REDIS_MAXMEMORY_MIB = REDIS_MEMORY_MIB * 6 // 10
API_STOP_GRACE_S = 30  # Docker's SIGTERM -> SIGKILL for an API replica (compose stop_grace_period)
# uvicorn's graceful-shutdown timeout (SHUTDOWN_GRACE_SECONDS), derived here only: it finishes in-flight
# requests and exits before Docker's SIGKILL.
API_SHUTDOWN_GRACE_S = API_STOP_GRACE_S - 5
JOB_TIMEOUT_S = 300  # the service's default JOB_TIMEOUT_SECONDS
WORKER_STOP_GRACE_S = JOB_TIMEOUT_S + 30  # SIGTERM must not cut a running job short
SCHEDULER = "scheduler"
# 1.3x the measured peak RSS of the loop plus its `ai-service enqueue-cleanup` child
# (docs/decisions/0097; tests/droplet/test_scheduler.py measures it).
SCHEDULER_MEMORY_MIB = 144
SCHEDULER_HEARTBEAT = "/tmp/scheduler.alive"  # noqa: S108 - container-local, written by `ai-service scheduler`
SCHEDULER_STALE_S = 60  # the loop refreshes the heartbeat at least every 15 s

# Env files next to compose.yaml (root-owned 0600 on the droplet); the host component writes them.
# DATABASE_URL, REDIS_URL, SECRET_KEY, API_KEYS, AWS_*, OPENAI_API_KEY and the app's own secretEnv
APP_ENV_FILE = "secrets/app.env"
MIGRATE_ENV_FILE = "secrets/migrate.env"  # MIGRATE_DATABASE_URL (admin; only the migrate container)
REDIS_ENV_FILE = "secrets/redis.env"  # REDIS_PASSWORD, REDISCLI_AUTH
POSTGRES_ENV_FILE = "secrets/postgres.env"  # POSTGRES_PASSWORD (local Postgres container only)


def accessory_env_file(name: str) -> str:
    """An accessory's secretEnv (0600 on the host, like the app's env file)."""
    return f"secrets/accessory-{name}.env"


# Paths inside the rendered project directory (relative to compose.yaml).
NGINX_CONF = "nginx/nginx.conf"
NGINX_UPSTREAM_DIR = ("nginx/upstream", "/etc/nginx/upstream")  # host (release-relative), container
API_UPSTREAM_FILE = f"{NGINX_UPSTREAM_DIR[1]}/api.conf"  # written by deploy/rollout.sh
# nginx's listener for accessories that call the API (`callsApi`): on the compose network only, never published.
INTERNAL_API_PORT = 8088
ACCESSORY_API_URL = f"http://nginx:{INTERNAL_API_PORT}"
TLS_DIR = "tls"  # fullchain.pem / privkey.pem: self-signed at first boot, then Let's Encrypt
ACME_WEBROOT = "acme"  # HTTP-01 challenges served by nginx, written by certbot on the host

# Containers that may not gain privileges (setuid binaries): the service's and third-party accessories,
# as allowPrivilegeEscalation: false does on Kubernetes.
NO_NEW_PRIVILEGES_ROLES = SERVICE_ROLES | {"accessory"}

Condition = Literal["service_started", "service_healthy", "service_completed_successfully"]


@dataclass(frozen=True)
class Port:
    published: int
    target: int
    host_ip: str = "0.0.0.0"


@dataclass(frozen=True)
class Volume:
    """`source`: a path relative to compose.yaml, an absolute host path, or a named volume (`named=True`)."""

    source: str
    target: str
    read_only: bool = True
    named: bool = False


@dataclass(frozen=True)
class Healthcheck:
    test: tuple[str, ...]  # ("CMD", ...) or ("CMD-SHELL", "...")
    interval_s: int = 10
    timeout_s: int = 3
    retries: int = 3
    start_period_s: int = 10


@dataclass(frozen=True)
class Logging:
    driver: str = "json-file"
    max_size: str = "10m"
    max_file: int = 3


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    image: str
    command: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] = ()  # () = the image's ENTRYPOINT (and CMD, unless `command`)
    environment: dict[str, str] = field(default_factory=dict)  # non-secret only
    env_file: tuple[str, ...] = ()
    ports: tuple[Port, ...] = ()
    volumes: tuple[Volume, ...] = ()
    depends_on: dict[str, Condition] = field(default_factory=dict)
    healthcheck: Healthcheck | None = None
    memory_mib: int = 256
    cpus: float = 0.5
    restart: Literal["no", "always", "unless-stopped", "on-failure"] = "unless-stopped"
    logging: Logging = field(default_factory=Logging)
    stop_grace_s: int = 10
    role: Literal[
        "edge", "api", "worker", "scheduler", "migrate", "redis", "database", "storage", "monitoring", "accessory"
    ] = "monitoring"


@dataclass(frozen=True)
class HostProfile:
    """What differs between the droplet and the local Docker stack.

    droplet: nginx published on 0.0.0.0:80/443, TLS when `domain` is set, AWS S3, managed Postgres.
    local:   everything published on 127.0.0.1, no TLS, `sidecars` run Postgres and an S3 server,
             `s3_endpoint_url` points the service at that server.
    """

    image: str
    s3_bucket: str
    s3_region: str
    bind_address: str = "0.0.0.0"
    http_port: int = 80
    https_port: int | None = 443  # None: TLS off (no 443 listener, no redirect)
    s3_endpoint_url: str = ""  # "" = AWS S3
    sidecars: tuple[ContainerSpec, ...] = ()  # containers the app waits for (healthy) before migrate
    publish_admin: bool = False  # publish Grafana/Prometheus on 127.0.0.1 (SSH tunnel on the droplet)
    # droplet: the API upstream is a file the rolling update rewrites (drain before stop), mounted into nginx
    drained_upstreams: bool = False

    @property
    def tls(self) -> bool:
        return self.https_port is not None


def api_names(settings: Settings) -> tuple[str, ...]:
    """API replicas are separate services so a rolling update can replace them one at a time."""
    return tuple(f"api-{i}" for i in range(1, settings.api_replicas + 1))


def worker_names(settings: Settings) -> tuple[str, ...]:
    return tuple(f"worker-{w.name}-{i}" for w in settings.workers for i in range(1, w.replicas + 1))


def logs_on(settings: Settings) -> bool:
    """Central logs need Grafana (the UI) and Alertmanager (the alert): they ride on monitoring."""
    return settings.monitoring and settings.logs.enabled


def monitoring_inputs(settings: Settings, stack: str, project: str = "ai-service") -> MonitoringInputs:
    """`project`: the compose project name, whose containers Alloy reads."""
    logs = LogInputs(stack, settings.logs.retention_days, project) if logs_on(settings) else None
    return MonitoringInputs(
        stack=stack,
        api_hosts=api_names(settings),
        worker_hosts=worker_names(settings),
        slack_enabled=settings.alert_slack_webhook is not None,
        logs=logs,
        api_port=settings.port,
    )


def image_version(image: str) -> str:
    """What /health reports as `version`: the image digest (short) or its tag."""
    if "@sha256:" in image:
        return "sha256:" + image.rsplit("@sha256:", 1)[1][:12]
    tail = image.rsplit("/", 1)[-1]
    return tail.rsplit(":", 1)[1] if ":" in tail else "latest"


def app_environment(settings: Settings, profile: HostProfile) -> dict[str, str]:
    """The non-secret environment every role shares (names from app/README.md's environment contract)."""
    env = {
        "APP_ENV": settings.app_env,
        "APP_VERSION": image_version(profile.image),
        "LOG_LEVEL": settings.log_level,
        "PORT": str(settings.port),
        "METRICS_PORT": str(WORKER_METRICS_PORT),
        "WEB_CONCURRENCY": str(WEB_CONCURRENCY),
        "DB_POOL_SIZE": str(settings.database.pool_size),
        "S3_BUCKET": profile.s3_bucket,
        "S3_REGION": profile.s3_region,
        "EMBEDDING_PROVIDER": settings.embedding_provider,
        "EMBEDDING_DIM": str(settings.embedding_dim),
        "MAX_UPLOAD_BYTES": str(settings.max_upload_bytes),
        "RATE_LIMIT_PER_MINUTE": str(settings.rate_limit_per_minute),
        "ALLOWED_HOSTS": settings.domain or "*",
        # The API port is only on the compose network, where nginx is the only client.
        "FORWARDED_ALLOW_IPS": "*",
        "JOB_TIMEOUT_SECONDS": str(JOB_TIMEOUT_S),
        "SHUTDOWN_GRACE_SECONDS": str(API_SHUTDOWN_GRACE_S),
    }
    if profile.s3_endpoint_url:
        env["S3_ENDPOINT_URL"] = profile.s3_endpoint_url
    env |= accessory_urls(settings)
    if settings.cors_origins:
        env["CORS_ORIGINS"] = ",".join(settings.cors_origins)
    return env | settings.env  # the app's own (names the stack sets are refused by Settings)


def app_secret_env(settings: Settings) -> dict[str, str]:
    """The app's own secretEnv, for APP_ENV_FILE. Secret: callers keep it a Pulumi secret."""
    return {k: v.get_secret_value() for k, v in settings.secret_env.items()}


class RoleArgv(TypedDict):
    entrypoint: tuple[str, ...]
    command: tuple[str, ...]


def role_argv(argv: Argv) -> RoleArgv:
    """ContainerSpec fields for a role's argv: its first word replaces the image's ENTRYPOINT, the rest CMD."""
    return {"entrypoint": argv[:1], "command": argv[1:]}


def accessory_urls(settings: Settings) -> dict[str, str]:
    """ACCESSORY_<NAME>_URL -> http://<name>:<port>: accessories are reached by container name."""
    return {a.url_env: f"http://{a.name}:{a.port}" for a in settings.accessories if a.port is not None}


def public_routes(settings: Settings) -> tuple[tuple[str, str], ...]:
    """(name, host:port) of each public accessory, for the edge's /<name>/ route (NginxInputs.accessories)."""
    return tuple((a.name, f"{a.name}:{a.port}") for a in settings.accessories if a.public)


def edge_inputs(settings: Settings, **target: Any) -> NginxInputs:
    """nginx in front of the API replicas as the service contract says (port, probe paths, request timeout);
    `target`: what the droplet and the local stack set differently (TLS, drained upstreams, docs)."""
    return NginxInputs(
        api_upstreams=tuple(f"{name}:{settings.port}" for name in api_names(settings)),
        max_body_bytes=settings.max_upload_bytes,
        accessories=public_routes(settings),
        health_paths=(settings.health.liveness, settings.health.readiness),
        proxy_timeout_s=settings.request_timeout_s,
        accessory_csp=accessory_csp(settings),
        internal_port=internal_api_port(settings),
        **target,
    )


def internal_api_port(settings: Settings) -> int | None:
    """nginx's internal listener (NginxInputs.internal_port): only when an accessory calls the API."""
    return INTERNAL_API_PORT if any(a.calls_api for a in settings.accessories) else None


def accessory_csp(settings: Settings) -> tuple[tuple[str, str | None], ...]:
    """(name, Content-Security-Policy or None = the accessory's own) for each public accessory."""
    return tuple((a.name, None if a.passes_csp else a.csp) for a in settings.accessories if a.public)


def _http_probe(port: int, path: str) -> Healthcheck:
    # The service image has Python but no curl.
    code = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}{path}', timeout=2)"
    return Healthcheck(("CMD", "python", "-c", code), interval_s=10, timeout_s=3, retries=3, start_period_s=20)


def _redis(settings: Settings) -> ContainerSpec:
    server = (
        'exec redis-server --requirepass "$REDIS_PASSWORD" --appendonly yes --appendfsync everysec '
        f'--save "900 1 300 10 60 10000" --maxmemory {REDIS_MAXMEMORY_MIB}mb --maxmemory-policy noeviction'
    )
    return ContainerSpec(
        name="redis",
        image=REDIS_IMAGE,
        command=("sh", "-c", server),
        env_file=(REDIS_ENV_FILE,),
        volumes=(Volume("redis-data", "/data", read_only=False, named=True),),
        healthcheck=Healthcheck(("CMD-SHELL", "redis-cli ping | grep -q PONG"), interval_s=5, start_period_s=5),
        memory_mib=REDIS_MEMORY_MIB,
        cpus=0.5,
        role="redis",
    )


def _app_depends(settings: Settings, profile: HostProfile) -> dict[str, Condition]:
    redis: dict[str, Condition] = {} if settings.redis.url else {"redis": "service_healthy"}
    return {**redis, **{s.name: "service_healthy" for s in profile.sidecars}}


def _migrate(settings: Settings, profile: HostProfile) -> ContainerSpec:
    return ContainerSpec(
        name="migrate",
        image=profile.image,
        **role_argv(settings.commands.migrate),
        environment=app_environment(settings, profile),
        env_file=(APP_ENV_FILE, MIGRATE_ENV_FILE),
        depends_on={s.name: "service_healthy" for s in profile.sidecars},
        memory_mib=MIGRATE_MEMORY_MIB,
        cpus=0.5,
        restart="no",
        role="migrate",
    )


def _apis(settings: Settings, profile: HostProfile) -> list[ContainerSpec]:
    return [
        ContainerSpec(
            name=name,
            image=profile.image,
            **role_argv(settings.commands.api),
            environment=app_environment(settings, profile),
            env_file=(APP_ENV_FILE,),
            depends_on={**_app_depends(settings, profile), "migrate": "service_completed_successfully"},
            healthcheck=_http_probe(settings.port, settings.health.liveness),
            memory_mib=API_MEMORY_MIB,
            cpus=API_CPUS,
            stop_grace_s=API_STOP_GRACE_S,
            role="api",
        )
        for name in api_names(settings)
    ]


def _workers(settings: Settings, profile: HostProfile) -> list[ContainerSpec]:
    specs = []
    for group in settings.workers:
        for i in range(1, group.replicas + 1):
            specs.append(
                ContainerSpec(
                    name=f"worker-{group.name}-{i}",
                    image=profile.image,
                    **role_argv(settings.commands.worker_argv(group.queues)),
                    environment=app_environment(settings, profile),
                    env_file=(APP_ENV_FILE,),
                    depends_on={**_app_depends(settings, profile), "migrate": "service_completed_successfully"},
                    healthcheck=_http_probe(WORKER_METRICS_PORT, "/metrics"),
                    memory_mib=group.memory,
                    cpus=group.cpu,
                    stop_grace_s=WORKER_STOP_GRACE_S,
                    role="worker",
                )
            )
    return specs


def schedules_json(settings: Settings) -> str:
    """SCHEDULES for `commands.scheduler`: [{"name", "cron", "command"}] (cron in UTC).

    `command` is what follows `commands.task` (the reference format: `ai-service scheduler` runs
    `ai-service <command…>`); an app's own scheduler prefixes its own task program the same way.
    """
    return json.dumps([{"name": s.name, "cron": s.cron, "command": list(s.command)} for s in settings.schedules])


def heartbeat_probe(path: str = SCHEDULER_HEARTBEAT, stale_s: int = SCHEDULER_STALE_S) -> Healthcheck:
    """Healthy while the scheduler loop keeps touching its heartbeat file (the image has python, no curl)."""
    code = f"import os, sys, time; sys.exit(time.time() - os.stat({path!r}).st_mtime > {stale_s})"
    return Healthcheck(("CMD", "python", "-c", code), interval_s=15, timeout_s=5, retries=3, start_period_s=30)


def _scheduler(settings: Settings, profile: HostProfile) -> ContainerSpec:
    """One container runs every schedule (docker hosts have no platform scheduler); jobs need the app env."""
    return ContainerSpec(
        name=SCHEDULER,
        image=profile.image,
        # The reference scheduler gives running jobs --grace 300 s (= JOB_TIMEOUT_S) after SIGTERM by default.
        **role_argv(settings.commands.scheduler),
        environment={
            **app_environment(settings, profile),
            "SCHEDULES": schedules_json(settings),
            "SCHEDULER_HEARTBEAT": SCHEDULER_HEARTBEAT,
        },
        env_file=(APP_ENV_FILE,),
        depends_on={**_app_depends(settings, profile), "migrate": "service_completed_successfully"},
        healthcheck=heartbeat_probe(),
        memory_mib=SCHEDULER_MEMORY_MIB,
        cpus=0.25,
        stop_grace_s=WORKER_STOP_GRACE_S,  # running jobs get --grace (the job timeout) after SIGTERM
        role="scheduler",
    )


def accessory_secret_env(settings: Settings) -> dict[str, dict[str, str]]:
    """Env file -> secretEnv values of each accessory that has some. Secret: callers keep it a Pulumi secret."""
    return {
        accessory_env_file(a.name): {k: v.get_secret_value() for k, v in a.secret_env.items()}
        for a in settings.accessories
        if a.secret_env
    }


def accessory_container(accessory: Accessory) -> ContainerSpec:
    """From the accessory's own config only: a service image or app config change leaves it as it is."""
    return ContainerSpec(
        name=accessory.name,
        image=accessory.image,
        command=accessory.command,
        environment={**accessory.env, **({API_URL_ENV: ACCESSORY_API_URL} if accessory.calls_api else {})},
        env_file=(accessory_env_file(accessory.name),) if accessory.secret_env else (),
        volumes=tuple(
            Volume(f"{accessory.name}-{v.name}", v.path, read_only=False, named=True) for v in accessory.volumes
        ),
        memory_mib=accessory.memory,
        cpus=accessory.cpu,
        role="accessory",
    )


def _nginx(settings: Settings, profile: HostProfile) -> ContainerSpec:
    ports = [Port(profile.http_port, 80, profile.bind_address)]
    volumes = [Volume(NGINX_CONF, "/etc/nginx/nginx.conf"), Volume(ACME_WEBROOT, "/var/www/acme")]
    if profile.drained_upstreams:
        volumes.append(Volume(*NGINX_UPSTREAM_DIR))
    if profile.tls and profile.https_port is not None:
        ports.append(Port(profile.https_port, 443, profile.bind_address))
        volumes.append(Volume(TLS_DIR, "/etc/nginx/tls"))
    return ContainerSpec(
        name="nginx",
        image=NGINX_IMAGE,
        ports=tuple(ports),
        volumes=tuple(volumes),
        # nginx resolves upstream names when it (re)loads: public accessories must exist first.
        depends_on={
            **{name: "service_healthy" for name in api_names(settings)},
            **{a.name: "service_started" for a in settings.accessories if a.public},
        },
        # busybox wget is in the alpine image; the liveness path is answered on plain HTTP for any Host.
        healthcheck=Healthcheck(
            ("CMD", "wget", "-q", "-O", "/dev/null", f"http://127.0.0.1{settings.health.liveness}"), start_period_s=5
        ),
        memory_mib=NGINX_MEMORY_MIB,
        cpus=0.25,
        role="edge",
    )


def _monitoring(settings: Settings, profile: HostProfile) -> list[ContainerSpec]:
    admin = {"prometheus", "grafana", "alertmanager"} if profile.publish_admin else set()
    specs = []
    services = monitoring.monitoring_services(slack_enabled=settings.alert_slack_webhook is not None)
    if logs_on(settings):
        services += log_services()
    for svc in services:
        if svc.name == monitoring.REDIS_EXPORTER and settings.redis.url:
            # Bring-your-own Redis: the exporter reads REDIS_ADDR (the URL, password included) from its env file.
            svc = replace(
                svc,
                environment={k: v for k, v in svc.environment.items() if k != "REDIS_ADDR"},
                env_files=(monitoring.SECRET_REDIS_EXPORTER_ENV,),
            )
        specs.append(
            ContainerSpec(
                name=svc.name,
                image=svc.image,
                command=svc.command,
                environment=dict(svc.environment),
                env_file=svc.env_files,
                ports=tuple(Port(p, p, "127.0.0.1") for p in svc.ports) if svc.name in admin else (),
                volumes=tuple(Volume(m.source, m.target, m.read_only, m.volume) for m in svc.mounts),
                healthcheck=(
                    Healthcheck(
                        ("CMD", "wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{svc.ports[0]}{svc.health_path}")
                    )
                    if svc.health_path
                    else None
                ),
                memory_mib=svc.memory_mib,
                cpus=svc.cpus,
            )
        )
    return specs


def docker_host_containers(settings: Settings, profile: HostProfile) -> list[ContainerSpec]:
    """Every container of the host, in start order: sidecars, redis, accessories, migrate, api, workers,
    scheduler, nginx, monitoring."""
    accessories = [accessory_container(a) for a in settings.accessories]
    specs = [
        *profile.sidecars,
        *([] if settings.redis.url else [_redis(settings)]),
        *accessories,
        _migrate(settings, profile),
        *_apis(settings, profile),
        *_workers(settings, profile),
    ]
    if settings.schedules:
        specs.append(_scheduler(settings, profile))
    specs.append(_nginx(settings, profile))
    if settings.monitoring:
        specs += _monitoring(settings, profile)
    taken = {s.name for s in specs if s.role != "accessory"}
    clashes = [
        f"ai-service:accessories[{i}].name: {a.name!r} is a container this host runs already"
        for i, a in enumerate(settings.accessories)
        if a.name in taken
    ]
    if clashes:
        raise ConfigError(clashes)
    return specs


def local_postgres(database: str = "ai_service", port: int | None = None) -> ContainerSpec:
    """Postgres 16 + pgvector for the local stack (password from POSTGRES_ENV_FILE)."""
    return ContainerSpec(
        name="postgres",
        image=POSTGRES_IMAGE,
        environment={"POSTGRES_DB": database, "POSTGRES_USER": "postgres"},
        env_file=(POSTGRES_ENV_FILE,),
        ports=(Port(port, 5432, "127.0.0.1"),) if port else (),
        volumes=(Volume("postgres-data", "/var/lib/postgresql/data", read_only=False, named=True),),
        healthcheck=Healthcheck(
            ("CMD", "pg_isready", "-U", "postgres", "-d", database), interval_s=5, start_period_s=10
        ),
        memory_mib=POSTGRES_MEMORY_MIB,
        cpus=0.5,
        role="database",
    )


def memory_budget(specs: list[ContainerSpec]) -> dict[str, int]:
    """Container name -> memory limit (MiB); the droplet plan compares the sum with its RAM."""
    return {s.name: s.memory_mib for s in specs}
