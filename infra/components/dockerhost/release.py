"""A release of a docker host's compose project, published to the bucket for the host's agent.

Renders compose.yaml, nginx.conf, the monitoring file set and the deploy scripts (all published
as plan artifacts, none secret), writes them with the image digest as `releases/manifest.json`,
and the env files as `releases/secrets.json` (a Pulumi secret; the agent writes them 0600):
the app's (with `secretEnv`), each accessory's secretEnv (secrets/accessory-<name>.env), Redis's unless redis.url.
Changing the image or config changes only these objects, never the droplet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
from pulumi_aws import s3

from infra.components import artifacts
from infra.render.dockerhost import topology
from infra.render.dockerhost.compose import render_compose, render_env_file
from infra.render.dockerhost.deploy import (
    HostSettings,
    ReleaseServices,
    deploy_scripts,
    host_files,
    release_manifest,
    secrets_manifest,
)
from infra.render.dockerhost.nginx import render_nginx_conf
from infra.render.observability.render import render_monitoring_files, render_secret_files
from infra.render.observability.services import SECRET_REDIS_EXPORTER_ENV
from infra.settings import Settings


@dataclass(frozen=True)
class ReleaseSecrets:
    database_url: pulumi.Input[str]
    migrate_database_url: pulumi.Input[str]
    redis_password: pulumi.Input[str] | None  # None with redis.url (no Redis container)
    secret_key: pulumi.Input[str]
    api_keys: pulumi.Input[str]
    aws_access_key_id: pulumi.Input[str]
    aws_secret_access_key: pulumi.Input[str]
    grafana_admin_password: pulumi.Input[str]
    registry_config: pulumi.Input[str]  # docker config.json for pulls
    openai_api_key: pulumi.Input[str] | None = None
    slack_webhook_url: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class ReleaseArgs:
    settings: Settings
    stack: str
    image: pulumi.Input[str]
    bucket: pulumi.Input[str]
    region: str
    secrets: ReleaseSecrets
    ssh_public_key: pulumi.Input[str]  # the admin user's key: applied by the host's agent (host/authorized_keys)


def release_services(settings: Settings, specs: list[topology.ContainerSpec]) -> ReleaseServices:
    # The scheduler runs the service image: replaced like a worker, after the API, health-gated.
    return ReleaseServices(
        api=topology.api_names(settings),
        workers=tuple(s.name for s in specs if s.role in {"worker", "scheduler"}),
        support=tuple(s.name for s in specs if s.role not in topology.SERVICE_ROLES | {"edge"}),
        queues=settings.queues,
        redis=tuple(s.name for s in specs if s.role == "redis"),
        accessory_volumes=tuple(f"{a.name}/{v.name}" for a in settings.accessories for v in a.volumes),
        api_port=settings.port,
        api_stop_grace_s=topology.API_STOP_GRACE_S,
        ready_path=settings.health.readiness,
    )


def static_files(settings: Settings, stack: str) -> dict[str, str]:
    """Release files that do not depend on any resource output."""
    profile_tls = bool(settings.domain)
    nginx = topology.edge_inputs(
        settings, domain=settings.domain, tls=profile_tls, api_upstream_file=topology.API_UPSTREAM_FILE
    )
    files = {topology.NGINX_CONF: render_nginx_conf(nginx), **deploy_scripts()}
    if settings.monitoring:
        files |= render_monitoring_files(topology.monitoring_inputs(settings, stack))
    return files


def _secret_files(settings: Settings, values: dict) -> dict[str, str]:
    byo_redis = settings.redis.url.get_secret_value() if settings.redis.url else None
    redis_url = byo_redis or f"redis://:{values['redis_password']}@redis:6379/0"
    app = {
        "DATABASE_URL": values["database_url"],
        "REDIS_URL": redis_url,
        "SECRET_KEY": values["secret_key"],
        "API_KEYS": values["api_keys"],
        "AWS_ACCESS_KEY_ID": values["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": values["aws_secret_access_key"],
    }
    if values.get("openai_api_key"):
        app["OPENAI_API_KEY"] = values["openai_api_key"]
    app |= topology.app_secret_env(settings)  # the app's own secretEnv (names the stack sets are refused)
    files = {
        topology.APP_ENV_FILE: render_env_file(app),
        topology.MIGRATE_ENV_FILE: render_env_file({"MIGRATE_DATABASE_URL": values["migrate_database_url"]}),
        "docker/config.json": values["registry_config"],
        **{path: render_env_file(env) for path, env in topology.accessory_secret_env(settings).items()},
    }
    if not byo_redis:
        files[topology.REDIS_ENV_FILE] = render_env_file(
            {"REDIS_PASSWORD": values["redis_password"], "REDISCLI_AUTH": values["redis_password"]}
        )
    if settings.monitoring:
        files |= render_secret_files(
            grafana_admin_password=values["grafana_admin_password"],
            slack_webhook_url=values.get("slack_webhook_url"),
            redis_password=None if byo_redis else values["redis_password"],
        )
        if byo_redis:
            files[SECRET_REDIS_EXPORTER_ENV] = render_env_file({"REDIS_ADDR": byo_redis})
    return files


class DockerHostRelease(pulumi.ComponentResource):
    version: pulumi.Output[str]

    def __init__(self, name: str, args: ReleaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:dockerhost:Release", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        files = static_files(settings, args.stack)
        for path, text in files.items():
            artifacts.publish(path, text)

        def compose_text(resolved: list[str]) -> str:
            image, bucket = resolved
            profile = topology.HostProfile(
                image=image,
                s3_bucket=bucket,
                s3_region=args.region,
                https_port=443 if settings.domain else None,
                drained_upstreams=True,
            )
            return render_compose(topology.docker_host_containers(settings, profile))

        compose = pulumi.Output.all(args.image, args.bucket).apply(compose_text)
        artifacts.publish("compose.yaml", compose)
        probe = topology.HostProfile(image="probe", s3_bucket="probe", s3_region=args.region)
        services = release_services(settings, topology.docker_host_containers(settings, probe))

        def host(public_key: str) -> dict[str, str]:
            return host_files(
                HostSettings(
                    admin_user=settings.droplet.admin_user,
                    ssh_public_key=public_key,
                    ssh_allowed_cidrs=settings.ssh_allowed_cidrs,
                    domain=settings.domain,
                    letsencrypt_email=settings.letsencrypt_email,
                )
            )

        host_text = pulumi.Output.from_input(args.ssh_public_key).apply(host)
        for path in ("host/host.env", "host/authorized_keys"):
            artifacts.publish(path, host_text.apply(lambda h, p=path: h[p]))
        manifest = pulumi.Output.all(compose, args.image, host_text).apply(
            lambda r: release_manifest({**files, **r[2], "compose.yaml": r[0]}, services, r[1])
        )
        self.version = manifest.apply(lambda text: json.loads(text)["version"])
        s3.BucketObjectv2(
            f"{name}-manifest",
            bucket=args.bucket,
            key="releases/manifest.json",
            content=manifest,
            content_type="application/json",
            server_side_encryption="AES256",
            opts=child,
        )

        secret_inputs = {k: v for k, v in vars(args.secrets).items() if v is not None}
        secrets_text = pulumi.Output.secret(
            pulumi.Output.all(**secret_inputs).apply(lambda values: secrets_manifest(_secret_files(settings, values)))
        )
        s3.BucketObjectv2(
            f"{name}-secrets",
            bucket=args.bucket,
            key="releases/secrets.json",
            content=secrets_text,
            content_type="application/json",
            server_side_encryption="AES256",
            opts=child,
        )
        self.register_outputs({"version": self.version})
