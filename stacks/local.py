"""target local — the whole system on the local Docker engine; no cloud account.

    127.0.0.1:8080 ─> nginx ─> api-1, api-2 ──┬──> postgres (16 + pgvector, volume) | database.url
                     │           migrate ─────┤──> redis (AOF, volume) | redis.url
                     │ /<name>/  worker-documents-1/2, worker-cleanup-1, scheduler
                     └─> public accessories   └──> storage (SeaweedFS S3, volume, bucket)
                         (every accessory: on the network only, its own volumes and env file)
    127.0.0.1:9090 prometheus  127.0.0.1:3000 grafana  127.0.0.1:9093 alertmanager
    (+ node-exporter, redis-exporter; one private bridge network, nothing on 0.0.0.0)

The containers are the droplet's (infra.render.dockerhost.topology) with the local HostProfile, so the same
list also renders `compose.yaml` for `docker compose up`. Passwords, the secret key and the
API key are generated (pulumi_random) and reach containers only as Pulumi secrets.
"""

from __future__ import annotations

import pulumi
import pulumi_random as random

from infra.components import artifacts
from infra.components.docker.host import DockerHost, DockerHostArgs
from infra.components.docker.image import LocalServiceImage, pinned_images
from infra.render.dockerhost.compose import render_compose
from infra.render.dockerhost.nginx import NginxInputs, render_nginx_conf
from infra.render.dockerhost.topology import (
    NGINX_CONF,
    accessory_csp,
    accessory_secret_env,
    api_names,
    internal_api_port,
    monitoring_inputs,
    public_routes,
)
from infra.render.dockerhost.topology_local import (
    LOCAL_IMAGE_TAG,
    S3_CONFIG_FILE,
    local_containers,
    s3_identities,
    secret_env,
)
from infra.render.observability import services as monitoring
from infra.render.observability.metrics import API_PORT
from infra.render.observability.render import render_monitoring_files
from infra.settings import Settings

# name -> length; alphanumeric only, so every value is safe inside URLs and env files.
GENERATED = {
    "postgres-password": 32,
    "postgres-app-password": 32,
    "redis-password": 32,
    "secret-key": 48,
    "api-key": 40,
    "s3-access-key": 20,
    "s3-secret-key": 40,
    "grafana-admin-password": 24,
}


def _secret(value) -> pulumi.Output[str] | None:
    return pulumi.Output.secret(value.get_secret_value()) if value is not None else None


def deploy(settings: Settings) -> None:
    stack = pulumi.get_stack()
    project = f"ai-service-{stack}"
    local = settings.local
    image_ref = settings.image or LOCAL_IMAGE_TAG
    specs = local_containers(settings, image_ref)

    # Bring your own: database.url / redis.url replace the postgres / redis container and its password.
    brought = {
        "postgres-password": settings.database.url,
        "postgres-app-password": settings.database.url,
        "redis-password": settings.redis.url,
    }
    generated = {
        k: random.RandomPassword(k, length=n, special=False).result
        for k, n in GENERATED.items()
        if brought.get(k) is None
    }
    api_keys = _secret(settings.api_keys) or pulumi.Output.concat("default:", generated["api-key"])
    env_values = pulumi.Output.secret(
        pulumi.Output.all(
            postgres_password=generated.get("postgres-password"),
            redis_password=generated.get("redis-password"),
            app_database_password=generated.get("postgres-app-password"),
            database_url=_secret(settings.database.url),
            migrate_database_url=_secret(settings.database.migrate_url),
            redis_url=_secret(settings.redis.url),
            secret_key=generated["secret-key"],
            api_keys=api_keys,
            s3_access_key=generated["s3-access-key"],
            s3_secret_key=generated["s3-secret-key"],
            openai_api_key=_secret(settings.openai_api_key),
        ).apply(lambda v: secret_env(**v) | accessory_secret_env(settings))
    )

    # Files the containers mount, holding one secret each (paths as the monitoring services mount them).
    secret_files = {
        S3_CONFIG_FILE: pulumi.Output.all(generated["s3-access-key"], generated["s3-secret-key"]).apply(
            lambda v: s3_identities(v[0], v[1])
        ),
        monitoring.SECRET_GRAFANA_PASSWORD: generated["grafana-admin-password"],
    }
    if settings.alert_slack_webhook is not None:
        secret_files[monitoring.SECRET_SLACK_WEBHOOK] = pulumi.Output.secret(
            settings.alert_slack_webhook.get_secret_value()
        )

    # The SAME renderers as the droplet: nginx in front of the API replicas, the monitoring file set, compose.
    files = {
        NGINX_CONF: render_nginx_conf(
            NginxInputs(
                api_upstreams=tuple(f"{name}:{API_PORT}" for name in api_names(settings)),
                max_body_bytes=settings.max_upload_bytes,
                api_docs=settings.app_env == "development",  # the app serves /docs only in development
                accessories=public_routes(settings),  # /<name>/ on 127.0.0.1:httpPort; accessories publish no port
                accessory_csp=accessory_csp(settings),
                internal_port=internal_api_port(settings),
            )
        )
    }
    if settings.monitoring:
        files |= render_monitoring_files(monitoring_inputs(settings, stack, project=project))
    for path, text in files.items():
        artifacts.publish(path, text)
    artifacts.publish("compose.yaml", render_compose(specs, project=project))

    service_image = LocalServiceImage("service-image", tag=LOCAL_IMAGE_TAG, prebuilt=settings.image)
    images = {
        image_ref: service_image.image_id,
        **pinned_images("image", [s.image for s in specs if s.image != image_ref]),
    }
    host = DockerHost(
        "local",
        DockerHostArgs(
            specs=specs,
            project=project,
            images=images,
            files=files,
            secret_files=secret_files,
            secret_env={
                f: env_values.apply(lambda v, f=f: v[f]) for f in sorted({f for s in specs for f in s.env_file})
            },
            protect=settings.protect,
        ),
    )

    base = f"http://127.0.0.1:{local.http_port}"
    pulumi.export("url", base)
    if settings.app_env == "development":
        pulumi.export("docsUrl", f"{base}/docs")
    if settings.monitoring:
        pulumi.export("grafanaUrl", f"http://127.0.0.1:{local.grafana_port}")
        pulumi.export("prometheusUrl", f"http://127.0.0.1:{local.prometheus_port}")
        pulumi.export("alertmanagerUrl", f"http://127.0.0.1:{local.alertmanager_port}")
        pulumi.export("grafanaAdminPassword", generated["grafana-admin-password"])
    pulumi.export("apiKeys", api_keys)  # tenant:key — send `Authorization: Bearer <key>`
    pulumi.export("image", image_ref)
    pulumi.export("bucket", local.bucket)
    pulumi.export("network", host.network.name)
    pulumi.export("containers", [c.name for c in host.containers.values()])
