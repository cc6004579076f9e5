"""target kubernetes — DigitalOcean Kubernetes (or any existing cluster from a kubeconfig).

Internet ─80/443─> DO load balancer ─> Envoy Gateway (Gateway API; cert-manager TLS, HTTP→HTTPS)
                                         │ /api/…, the liveness path only (never /metrics)
namespace ai-service (restricted PSS, default-deny NetworkPolicies)
  migrate Job (one per image digest) ──must complete before──> api Deployment (HPA, PDB, probes)
  worker Deployments (one per worker group), CronJob per schedule ──> redis StatefulSet (AOF on a PVC) | redis.url
  api, workers ──> DO managed Postgres (firewall: this cluster only) | database.url
               ──> Spaces or S3 bucket (private, versioned, tmp/ expiry)
               ──> accessories (Deployment, or StatefulSet with PVCs; own Secret; gateway /<name>/ if public)
namespace monitoring: kube-prometheus-stack (ServiceMonitors, PrometheusRule, dashboards, Alertmanager → Slack)
"""

from __future__ import annotations

import hashlib
from typing import TypeVar

import pulumi
import pulumi_random as random

from infra.components import artifacts
from infra.components.digitalocean.database import DEFAULT_SIZE as DEFAULT_DB_SIZE
from infra.components.digitalocean.registry import ServiceImage, ServiceImageArgs
from infra.components.kubernetes.apply import create, create_all
from infra.contract import internal_host_env
from infra.render.kubernetes import accessories, charts, edge, monitoring, network, redis, workloads
from infra.render.kubernetes import logs as k8s_logs
from infra.render.kubernetes.render import helm_values_yaml, render_stream
from infra.settings import ConfigError, Settings


def migrate_job_name(image_ref: str) -> str:
    """`migrate-<12 hex>` from the image digest (or a hash of a tag reference)."""
    digest = image_ref.partition("@sha256:")[2] or hashlib.sha256(image_ref.encode()).hexdigest()
    return f"ai-service-migrate-{digest[:12]}"


T = TypeVar("T")


def _secret(value) -> pulumi.Output[str]:
    return pulumi.Output.secret(value)


def _required(value: T | None, key: str) -> T:
    """A key the settings checks require on this path; a one-line config error if it is missing anyway."""
    if value is None:
        raise ConfigError([f"ai-service:{key}: required for target kubernetes on this path"])
    return value


def deploy(settings: Settings) -> None:
    k8s = settings.kubernetes
    stack = pulumi.get_stack()
    prefix = f"ai-service-{stack}"
    tags = ["ai-service", stack]
    region = k8s.cluster.region
    ns = k8s.namespace

    # --- cluster and provider -------------------------------------------------------------
    cluster = None
    if k8s.cluster.create:
        from infra.components.kubernetes.doks import DoksCluster

        cluster = DoksCluster(prefix, k8s.cluster, tags)
        kubeconfig: pulumi.Input[str] = cluster.kubeconfig
    else:
        kubeconfig = _secret(_required(k8s.kubeconfig, "kubernetes.kubeconfig").get_secret_value())
    from pulumi_kubernetes import Provider

    provider = Provider("k8s", kubeconfig=kubeconfig, context=k8s.context or None)
    on_cluster = pulumi.ResourceOptions(provider=provider)

    # --- image, database, object storage --------------------------------------------------
    image = ServiceImage(
        "image",
        ServiceImageArgs(
            registry=k8s.registry,
            create_registry=False,
            region=region,
            prebuilt=settings.image,
            context=settings.build.context,
            dockerfile=settings.build.dockerfile_path,
        ),
    )
    if settings.database.url is None:
        from infra.components.kubernetes.doks import ClusterPostgres, PostgresArgs

        if cluster is None:  # the managed Postgres joins the created cluster's VPC
            raise ConfigError(
                ["ai-service:database.url: required when kubernetes.cluster.create is false (bring your own Postgres)"]
            )

        db = ClusterPostgres(
            f"{prefix}-db",
            PostgresArgs(
                region=region,
                size=settings.database.size or DEFAULT_DB_SIZE,
                version=settings.database.version,
                vpc_id=cluster.vpc_id,
                cluster_id=cluster.cluster_id,
                tags=tuple(tags),
                protect=settings.protect,
            ),
        )
        database_url, migrate_url = db.url, db.admin_url
        outside_ports = []
    else:
        database_url = _secret(settings.database.url.get_secret_value())
        migrate_url = _secret((settings.database.migrate_url or settings.database.url).get_secret_value())
        brought = (settings.database.url, settings.database.migrate_url)
        outside_ports = sorted({network.url_port(url.get_secret_value(), 5432) for url in brought if url is not None})

    if k8s.storage_provider == "spaces":
        from infra.components.kubernetes.doks import SpacesArgs, SpacesStorage

        storage = SpacesStorage(
            f"{prefix}-files",
            SpacesArgs(
                bucket_name=f"{prefix}-files",
                region=region,
                tmp_expiry_days=settings.storage.tmp_expiry_days,
                backup_retention_days=settings.storage.backup_retention_days,
                protect=settings.protect,
            ),
        )
        bucket_name, s3_region, s3_endpoint = storage.name, region, storage.endpoint
        access_key_id, secret_access_key = storage.access_key_id, storage.secret_access_key
    else:
        from infra.components.aws.bucket import Bucket, BucketArgs
        from infra.components.aws.bucket_user import BucketUser

        bucket = Bucket(
            f"{prefix}-files",
            BucketArgs(
                tmp_expiry_days=settings.storage.tmp_expiry_days,
                backup_retention_days=settings.storage.backup_retention_days,
                protect=settings.protect,
            ),
        )
        user = BucketUser(f"{prefix}-files", bucket.arn)
        bucket_name, s3_endpoint = bucket.name, ""
        s3_region = pulumi.Config("aws").get("region") or "us-east-1"
        access_key_id, secret_access_key = user.access_key_id, user.secret_access_key

    # --- namespace, secrets -----------------------------------------------------------------
    namespace = create(workloads.namespace(ns), on_cluster)
    in_ns = pulumi.ResourceOptions(provider=provider, depends_on=[namespace])

    secret_key = random.RandomPassword("secret-key", length=48, special=False)
    if settings.api_keys is None:
        generated = random.RandomPassword("api-key", length=40, special=False)
        api_keys = _secret(pulumi.Output.concat("default:", generated.result))
    else:
        api_keys = _secret(settings.api_keys.get_secret_value())
    pulumi.export("apiKeys", api_keys)  # tenant:key,… — send `Authorization: Bearer <key>`

    bring_redis = settings.redis.url is not None
    if settings.redis.url is not None:
        redis_url = _secret(settings.redis.url.get_secret_value())
        outside_ports.append(network.url_port(settings.redis.url.get_secret_value(), redis.PORT))
    else:
        redis_password = random.RandomPassword("redis-password", length=40, special=False)
        redis_url = _secret(redis_password.result.apply(lambda p: redis.url_template(ns).format(password=p)))
        create(workloads.secret(redis.PASSWORD_SECRET, ns, {"REDIS_PASSWORD": _secret(redis_password.result)}), in_ns)

    env_secret = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": _secret(secret_key.result),
        "API_KEYS": api_keys,
        "AWS_ACCESS_KEY_ID": access_key_id,
        "AWS_SECRET_ACCESS_KEY": secret_access_key,
    }
    if settings.openai_api_key is not None:
        env_secret["OPENAI_API_KEY"] = _secret(settings.openai_api_key.get_secret_value())
    # The app's own secrets join the same Secret every service container reads (envFrom).
    env_secret |= {k: _secret(v.get_secret_value()) for k, v in settings.secret_env.items()}
    secrets = [
        create(workloads.secret(workloads.SECRET_NAME, ns, {k: _secret(v) for k, v in env_secret.items()}), in_ns),
        create(
            workloads.secret(workloads.MIGRATE_SECRET_NAME, ns, {"MIGRATE_DATABASE_URL": _secret(migrate_url)}), in_ns
        ),
        create(
            workloads.secret(
                workloads.PULL_SECRET_NAME,
                ns,
                {".dockerconfigjson": image.pull_config},
                kind="kubernetes.io/dockerconfigjson",
            ),
            in_ns,
        ),
    ]

    # --- the service ----------------------------------------------------------------------------
    config = {
        "APP_ENV": settings.app_env,
        "LOG_LEVEL": settings.log_level,
        "EMBEDDING_PROVIDER": settings.embedding_provider,
        "EMBEDDING_DIM": str(settings.embedding_dim),
        "MAX_UPLOAD_BYTES": str(settings.max_upload_bytes),
        "RATE_LIMIT_PER_MINUTE": str(settings.rate_limit_per_minute),
        "ALLOWED_HOSTS": settings.domain,
        "CORS_ORIGINS": ",".join(settings.cors_origins),
        "FORWARDED_ALLOW_IPS": "*",  # only the gateway reaches the pods (NetworkPolicy api-ingress)
        "DB_POOL_SIZE": str(settings.database.pool_size),
        "S3_BUCKET": bucket_name,
        "S3_REGION": s3_region,
        "S3_ENDPOINT_URL": s3_endpoint,
    }
    if any(a.calls_api for a in settings.accessories):  # webhooks reach the API by its Service name, plain HTTP
        config |= internal_host_env(config, accessories.api_host(ns))
    spec = workloads.AppSpec(
        namespace=ns,
        image=image.ref,
        migrate_job_name=image.ref.apply(migrate_job_name),
        api_min_replicas=k8s.hpa_min or settings.api_replicas,
        api_max_replicas=k8s.hpa_max,
        api_cpu=k8s.api_cpu,
        api_memory=k8s.api_memory,
        workers=settings.workers,
        worker_hpa_max=k8s.worker_hpa_max,
        job_timeout_s=k8s.job_timeout_s,
        config=config,
        accessory_urls={a.url_env: accessories.url(a, ns) for a in settings.accessories if a.port},
        schedules=settings.schedules,
        commands=settings.commands,
        port=settings.port,
        health=settings.health,
        env=dict(settings.env),
    )
    service_objs = workloads.service_objects(spec)
    cron_objs = workloads.cron_jobs(spec)
    redis_objs = [] if bring_redis else redis.objects(ns, k8s.redis_memory, k8s.redis_storage_gi)
    policy_objs = network.policies(
        ns,
        network.Peers(
            gateway_namespace=charts.ENVOY_GATEWAY.namespace,
            gateway_pods=charts.ENVOY_PROXY_POD_LABELS,
            monitoring_namespace=charts.KUBE_PROMETHEUS_STACK.namespace,
            prometheus_pods=charts.PROMETHEUS_POD_LABELS,
        ),
        redis=not bring_redis,
        outside_ports=outside_ports,
        accessories=settings.accessories,
        api_port=settings.port,
    )

    create_all(policy_objs, in_ns)
    with_config = pulumi.ResourceOptions(provider=provider, depends_on=[namespace, *secrets])
    create_all(redis_objs, with_config)
    # A new image creates a new Job (its name carries the digest); the provider waits for it to
    # complete, and only then do the Deployments roll to the new image.
    migrate = create(
        workloads.migrate_job(spec),
        pulumi.ResourceOptions.merge(
            with_config, pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="20m"))
        ),
        name="migrate",
    )
    after_migrate = pulumi.ResourceOptions(provider=provider, depends_on=[namespace, *secrets, migrate])
    deployments = [o for o in service_objs if o["kind"] == "Deployment"]
    create_all([o for o in service_objs if o["kind"] != "Deployment"], with_config)
    create_all([*deployments, *cron_objs], after_migrate)

    # --- accessories: nothing of the service's image, config or Secrets, so a release leaves them be --
    accessory_objs: list[dict] = []
    for accessory in settings.accessories:
        own = [namespace]
        if accessory.secret_env:
            own.append(
                create(
                    workloads.secret(
                        accessories.secret_name(accessory),
                        ns,
                        {k: _secret(v.get_secret_value()) for k, v in accessory.secret_env.items()},
                    ),
                    in_ns,
                )
            )
        objs = accessories.objects(accessory, ns, settings.port)
        create_all(objs, pulumi.ResourceOptions(provider=provider, depends_on=own))
        accessory_objs += objs

    # --- traffic in ------------------------------------------------------------------------------
    releases = []
    if k8s.install_gateway_controller:
        releases.append(_release(charts.ENVOY_GATEWAY, charts.envoy_gateway_values(), provider))
    if k8s.install_cert_manager:
        releases.append(_release(charts.CERT_MANAGER, charts.cert_manager_values(), provider))
    edge_spec = edge.EdgeSpec(
        namespace=ns,
        domain=settings.domain,
        email=settings.letsencrypt_email,
        gateway_class=k8s.gateway_class,
        acme_server=k8s.acme_server,
        max_upload_bytes=settings.max_upload_bytes,
        create_gateway_class=k8s.install_gateway_controller,
        accessories=settings.accessories,
        api_port=settings.port,
        health_path=settings.health.liveness,
        request_timeout_s=settings.request_timeout_s,
    )
    edge_objs = edge.objects(edge_spec)
    create_all(edge_objs, pulumi.ResourceOptions(provider=provider, depends_on=[namespace, *releases]))

    # --- monitoring --------------------------------------------------------------------------------
    monitoring_objs: list[dict] = []
    dashboard_objs: list[dict] = []
    log_objs: list[dict] = []
    logs_on = settings.monitoring and settings.logs.enabled
    if settings.monitoring:
        kps = charts.KUBE_PROMETHEUS_STACK
        monitoring_ns = create(_monitoring_namespace(kps.namespace), on_cluster, name="namespace-monitoring")
        in_monitoring = pulumi.ResourceOptions(provider=provider, depends_on=[monitoring_ns])
        grafana_password = random.RandomPassword("grafana-admin", length=32, special=False)
        admin = create(
            workloads.secret(
                charts.GRAFANA_ADMIN_SECRET,
                kps.namespace,
                {"admin-user": "admin", "admin-password": _secret(grafana_password.result)},
            ),
            in_monitoring,
        )
        pulumi.export("grafanaAdminPassword", _secret(grafana_password.result))
        slack = settings.alert_slack_webhook is not None
        chart_deps = [monitoring_ns, admin]
        if settings.alert_slack_webhook is not None:
            chart_deps.append(
                create(
                    workloads.secret(
                        charts.SLACK_SECRET,
                        kps.namespace,
                        {"url": _secret(settings.alert_slack_webhook.get_secret_value())},
                    ),
                    in_monitoring,
                )
            )
        kps_release = _release(
            kps,
            charts.kube_prometheus_stack_values(stack, k8s.prometheus_storage_gi, slack),
            provider,
            depends_on=chart_deps,
            create_namespace=False,
        )
        monitoring_objs = [
            o
            for o in monitoring.custom_objects(ns, kps.release)
            if not (bring_redis and o["metadata"]["name"] == "redis")
        ]
        dashboard_objs = monitoring.dashboard_config_maps(kps.namespace)
        create_all(monitoring_objs, pulumi.ResourceOptions(provider=provider, depends_on=[namespace, kps_release]))
        create_all(dashboard_objs, in_monitoring)
        if logs_on:  # Loki + Alloy next to kube-prometheus-stack; Grafana's sidecars load our ConfigMaps
            log_objs = k8s_logs.objects()
            log_maps = create_all(log_objs, in_monitoring)
            loki = _release(
                k8s_logs.LOKI_CHART,
                k8s_logs.loki_values(stack, settings.logs.retention_days),
                provider,
                depends_on=[monitoring_ns, *log_maps.values()],
                create_namespace=False,
            )
            _release(
                k8s_logs.ALLOY_CHART,
                k8s_logs.alloy_values(ns),
                provider,
                depends_on=[monitoring_ns, loki],
                create_namespace=False,
            )

    # --- rendered manifests (our objects only; Secrets are never rendered) --------------------
    files = {
        "namespace.yaml": [workloads.namespace(ns)],
        "service.yaml": [*service_objs, workloads.migrate_job(spec)],
        "schedules.yaml": cron_objs,
        "accessories.yaml": accessory_objs,
        "redis.yaml": redis_objs,
        "network-policies.yaml": policy_objs,
        "gateway.yaml": edge_objs,
        "monitoring.yaml": monitoring_objs,
        "dashboards.yaml": dashboard_objs,
        "logs.yaml": log_objs,
    }
    for path, objs in files.items():
        if objs:
            artifacts.publish(f"kubernetes/{path}", pulumi.Output.from_input(objs).apply(render_stream))
    helm_values = {
        charts.ENVOY_GATEWAY: charts.envoy_gateway_values(),
        charts.CERT_MANAGER: charts.cert_manager_values(),
    }
    if settings.monitoring:
        helm_values[charts.KUBE_PROMETHEUS_STACK] = charts.kube_prometheus_stack_values(
            stack, k8s.prometheus_storage_gi, settings.alert_slack_webhook is not None
        )
    if logs_on:
        helm_values[k8s_logs.LOKI_CHART] = k8s_logs.loki_values(stack, settings.logs.retention_days)
        helm_values[k8s_logs.ALLOY_CHART] = k8s_logs.alloy_values(ns)
    for chart, values in helm_values.items():
        artifacts.publish(f"helm/{chart.release}.values.yaml", helm_values_yaml(values))

    # A dead cluster cannot alert about itself: DigitalOcean probes the liveness path from outside (any cluster).
    import pulumi_digitalocean as do

    uptime = do.UptimeCheck(
        "uptime",
        name=f"{prefix}-health",
        target=f"https://{settings.domain}{settings.health.liveness}",
        type="https",
        regions=["us_east", "eu_west"],
    )
    do.UptimeAlert(
        "uptime-down",
        check_id=uptime.id,
        name=f"{prefix}-down",
        type="down",
        period="2m",
        notifications=[do.UptimeAlertNotificationArgs(emails=[settings.letsencrypt_email])],
    )

    pulumi.export("url", f"https://{settings.domain}")
    pulumi.export("namespace", ns)
    pulumi.export("image", image.ref)
    pulumi.export("bucket", bucket_name)
    if cluster is not None:
        pulumi.export("kubeconfig", cluster.kubeconfig)


def _monitoring_namespace(name: str) -> dict:
    # node-exporter needs host access, which the restricted level forbids: privileged here, on purpose.
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {"pod-security.kubernetes.io/enforce": "privileged", "app.kubernetes.io/part-of": "ai-service"},
        },
    }


def _release(chart: charts.Chart, values: dict, provider, depends_on=(), create_namespace: bool = True):
    from pulumi_kubernetes.helm.v3 import Release

    return Release(
        chart.release,
        name=chart.release,
        chart=chart.chart,
        version=chart.version,
        repository_opts={"repo": chart.repository} if chart.repository else None,
        namespace=chart.namespace,
        create_namespace=create_namespace,
        values=values,
        atomic=True,  # a failed upgrade rolls back to the previous release
        timeout=900,
        opts=pulumi.ResourceOptions(provider=provider, depends_on=list(depends_on)),
    )
