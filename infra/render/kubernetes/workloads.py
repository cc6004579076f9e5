"""The service on Kubernetes: namespace, identities, config, migrate Job, API and worker
Deployments, Services, PodDisruptionBudgets, HorizontalPodAutoscalers and one CronJob per schedule.

Every pod runs under the restricted Pod Security Standard: non-root, read-only root filesystem
(emptyDir for /tmp, which also holds the Prometheus multiprocess dir), no privilege escalation,
no capabilities, RuntimeDefault seccomp, no service-account token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from infra.render.observability.metrics import API_PORT, WORKER_METRICS_PORT
from infra.settings.extras import Schedule
from infra.settings.model import WorkerGroup
from infra.settings.schedules import TIME_ZONE
from infra.settings.service import Commands, HealthPaths

APP = "ai-service"
APP_UID = 10001  # the image's USER (app/Dockerfile)
TMP_DIR = "/tmp"
MULTIPROC_DIR = "/tmp/metrics"  # PROMETHEUS_MULTIPROC_DIR inside the emptyDir
CONFIG_NAME = f"{APP}-config"
SECRET_NAME = f"{APP}-env"  # DATABASE_URL, REDIS_URL, SECRET_KEY, API_KEYS, storage keys…
MIGRATE_SECRET_NAME = f"{APP}-migrate-env"  # MIGRATE_DATABASE_URL only
PULL_SECRET_NAME = f"{APP}-registry"
MIGRATE_TTL_S = 86400  # finished migrate Jobs disappear after a day; the next image gets a new name
SHUTDOWN_MARGIN_S = 30  # beyond the job timeout: finish the job, report, exit
ONE_SHOT = ("500m", "512Mi")  # cpu, memory of the migrate Job and scheduled commands
SCHEDULE_START_DEADLINE_S = 300  # a run the controller could not start within 5 min is skipped, not queued
SCHEDULE_HISTORY = 3  # finished Jobs kept per schedule (successful and failed each) for `kubectl logs`
# A rollout that makes no progress for this long is marked failed (ProgressDeadlineExceeded): `pulumi up`
# stops with an error instead of waiting, and `kubectl rollout undo` restores the previous ReplicaSet.
# Longer than the API's startup allowance (30 × 5 s) plus an image pull.
PROGRESS_DEADLINE_S = 300


@dataclass(frozen=True)
class AppSpec:
    """What the workloads need to know; `image` and `migrate_job_name` may be Pulumi Outputs."""

    namespace: str
    image: Any
    migrate_job_name: Any
    api_min_replicas: int
    api_max_replicas: int
    api_cpu: str
    api_memory: str
    workers: tuple[WorkerGroup, ...]
    worker_hpa_max: int
    job_timeout_s: int
    web_concurrency: int = 1
    pull_secret: bool = True
    config: dict[str, str] = field(default_factory=dict)
    accessory_urls: dict[str, str] = field(default_factory=dict)  # ACCESSORY_<NAME>_URL for api and workers
    schedules: tuple[Schedule, ...] = ()
    # The service contract (`commands`, `port`, `health`, `env`): the reference service's by default.
    commands: Commands = field(default_factory=Commands)
    port: int = API_PORT
    health: HealthPaths = field(default_factory=HealthPaths)
    env: dict[str, str] = field(default_factory=dict)  # the app's own plain env, for every role


def labels(component: str, instance: str | None = None) -> dict[str, str]:
    out = {"app.kubernetes.io/name": APP, "app.kubernetes.io/component": component, "app.kubernetes.io/part-of": APP}
    if instance:
        out["app.kubernetes.io/instance"] = instance
    return out


def selector(component: str, instance: str | None = None) -> dict[str, str]:
    out = {"app.kubernetes.io/name": APP, "app.kubernetes.io/component": component}
    if instance:
        out["app.kubernetes.io/instance"] = instance
    return out


def metadata(name: str, namespace: str | None, component: str, instance: str | None = None, **extra: Any) -> dict:
    meta: dict[str, Any] = {"name": name, "labels": labels(component, instance)}
    if namespace:
        meta["namespace"] = namespace
    return meta | extra


def namespace(name: str) -> dict:
    # Restricted PSS enforced: a pod that asks for more is rejected at admission.
    pss = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")}
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {**pss, "pod-security.kubernetes.io/enforce-version": "latest", "app.kubernetes.io/part-of": APP},
        },
    }


def service_account(name: str, ns: str, component: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(name, ns, component),
        "automountServiceAccountToken": False,
    }


def config_map(spec: AppSpec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(CONFIG_NAME, spec.namespace, "config"),
        "data": dict(sorted(spec.config.items())),
    }


def secret(name: str, ns: str, string_data: dict[str, Any], kind: str = "Opaque") -> dict:
    """A Secret object; the stack passes Pulumi secret Outputs as values (never rendered)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(name, ns, "config"),
        "type": kind,
        "stringData": string_data,
    }


def security_context(uid: int = APP_UID, read_only_root: bool = True) -> dict:
    """A container under the restricted Pod Security Standard (read-only root on top of it)."""
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": read_only_root,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def resource_limits(cpu: str, memory: str) -> dict:
    return {"requests": {"cpu": _half(cpu), "memory": memory}, "limits": {"cpu": cpu, "memory": memory}}


def _half(cpu: str) -> str:
    millis = int(cpu[:-1]) if cpu.endswith("m") else int(float(cpu) * 1000)
    return f"{max(millis // 2, 10)}m"


def cpu_quantity(vcpu: float) -> str:
    return f"{round(vcpu * 1000)}m"


def _env_from(*secrets: str) -> list[dict]:
    return [{"configMapRef": {"name": CONFIG_NAME}}] + [{"secretRef": {"name": s}} for s in secrets]


def _container(
    spec: AppSpec,
    name: str,
    argv: Sequence[str],
    resources: dict,
    env: dict[str, str],
    secrets: tuple[str, ...] = (SECRET_NAME,),
    **extra: Any,
) -> dict:
    """A container of the service image running `argv`: its first word replaces the image's ENTRYPOINT,
    the rest its CMD. The app's own env comes first; what the stack sets for the role wins."""
    command = {"command": [argv[0]], **({"args": list(argv[1:])} if argv[1:] else {})}
    return {
        "name": name,
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        **command,
        "envFrom": _env_from(*secrets),
        "env": [{"name": k, "value": v} for k, v in {**spec.env, **env}.items()],
        "resources": resources,
        "securityContext": security_context(),
        "volumeMounts": [{"name": "tmp", "mountPath": TMP_DIR}],
        **extra,
    }


def _pod(spec: AppSpec, sa: str, component: str, instance: str | None, containers: list[dict], **extra: Any) -> dict:
    pod: dict[str, Any] = {
        "serviceAccountName": sa,
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": APP_UID,
            "runAsGroup": APP_UID,
            "fsGroup": APP_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": containers,
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
        **extra,
    }
    if spec.pull_secret:
        pod["imagePullSecrets"] = [{"name": PULL_SECRET_NAME}]
    return {"metadata": {"labels": labels(component, instance)}, "spec": pod}


def _spread(component: str, instance: str | None) -> list[dict]:
    # Spread replicas over nodes (and zones where the cluster has them); never block scheduling.
    return [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector(component, instance)},
        }
        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
    ]


def _http_probe(path: str, port: str, period: int, failures: int) -> dict:
    return {
        "httpGet": {"path": path, "port": port},
        "periodSeconds": period,
        "timeoutSeconds": 3,
        "failureThreshold": failures,
    }


def migrate_job(spec: AppSpec) -> dict:
    """Runs `commands.migrate` once per image: the name carries the image digest, so a new
    release creates a new Job (a Job's template is immutable) and the API waits for it."""
    container = _container(
        spec,
        "migrate",
        spec.commands.migrate,
        resource_limits(*ONE_SHOT),
        {},
        secrets=(SECRET_NAME, MIGRATE_SECRET_NAME),
    )
    pod = _pod(spec, "ai-service-migrate", "migrate", None, [container], restartPolicy="Never")
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(spec.migrate_job_name, spec.namespace, "migrate"),
        "spec": {
            "backoffLimit": 2,
            "activeDeadlineSeconds": 900,
            "ttlSecondsAfterFinished": MIGRATE_TTL_S,
            "template": pod,
        },
    }


def api_deployment(spec: AppSpec) -> dict:
    env = {
        "PORT": str(spec.port),
        "WEB_CONCURRENCY": str(spec.web_concurrency),
        "PROMETHEUS_MULTIPROC_DIR": MULTIPROC_DIR,
        **spec.accessory_urls,
    }
    container = _container(
        spec,
        "api",
        spec.commands.api,
        resource_limits(spec.api_cpu, spec.api_memory),
        env,
        ports=[{"name": "http", "containerPort": spec.port, "protocol": "TCP"}],
        # Startup gives a slow first boot 2.5 min before liveness may restart the pod.
        startupProbe=_http_probe(spec.health.liveness, "http", 5, 30),
        livenessProbe=_http_probe(spec.health.liveness, "http", 10, 3),
        readinessProbe=_http_probe(spec.health.readiness, "http", 5, 3),
    )
    pod = _pod(
        spec,
        "ai-service-api",
        "api",
        None,
        [container],
        terminationGracePeriodSeconds=30,
        topologySpreadConstraints=_spread("api", None),
    )
    # No `replicas`: the HorizontalPodAutoscaler owns the count (a fixed count would fight the HPA
    # on every `pulumi up`).
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata("ai-service-api", spec.namespace, "api"),
        "spec": {
            "revisionHistoryLimit": 5,
            "progressDeadlineSeconds": PROGRESS_DEADLINE_S,
            "selector": {"matchLabels": selector("api")},
            # maxUnavailable 0: new pods must be ready before an old one goes, so a failed rollout
            # leaves every old pod serving (nothing half-rolled to undo under load).
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": pod,
        },
    }


def worker_name(worker: WorkerGroup) -> str:
    return f"ai-service-worker-{worker.name}"


def worker_deployment(spec: AppSpec, worker: WorkerGroup) -> dict:
    env = {
        "JOB_TIMEOUT_SECONDS": str(spec.job_timeout_s),
        "SHUTDOWN_GRACE_SECONDS": str(spec.job_timeout_s),
        "PROMETHEUS_MULTIPROC_DIR": MULTIPROC_DIR,
        **spec.accessory_urls,
    }
    container = _container(
        spec,
        "worker",
        spec.commands.worker_argv(worker.queues),
        resource_limits(cpu_quantity(worker.cpu), f"{worker.memory}Mi"),
        env,
        ports=[{"name": "metrics", "containerPort": WORKER_METRICS_PORT, "protocol": "TCP"}],
        # The worker serves its metrics while it runs: that is its liveness signal.
        startupProbe={"tcpSocket": {"port": "metrics"}, "periodSeconds": 5, "failureThreshold": 24},
        livenessProbe={
            "tcpSocket": {"port": "metrics"},
            "periodSeconds": 15,
            "timeoutSeconds": 3,
            "failureThreshold": 4,
        },
        readinessProbe={"tcpSocket": {"port": "metrics"}, "periodSeconds": 10, "timeoutSeconds": 3},
    )
    pod = _pod(
        spec,
        "ai-service-worker",
        "worker",
        worker.name,
        [container],
        terminationGracePeriodSeconds=spec.job_timeout_s + SHUTDOWN_MARGIN_S,
        topologySpreadConstraints=_spread("worker", worker.name),
    )
    body: dict[str, Any] = {
        "selector": {"matchLabels": selector("worker", worker.name)},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
        "revisionHistoryLimit": 5,
        "progressDeadlineSeconds": PROGRESS_DEADLINE_S + spec.job_timeout_s,  # old pods finish their jobs first
        "template": pod,
    }
    if not spec.worker_hpa_max:
        body["replicas"] = worker.replicas  # fixed size: no HPA owns this one
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(worker_name(worker), spec.namespace, "worker", worker.name),
        "spec": body,
    }


def schedule_name(schedule: Schedule) -> str:
    return f"ai-service-schedule-{schedule.name}"  # ≤ 52 characters: the controller appends a suffix per Job


def cron_job(spec: AppSpec, schedule: Schedule) -> dict:
    """`commands.task` + the schedule's command on the schedule, in UTC, never two runs at once. It gets the
    workers' ConfigMap, Secret and job timeout (what it enqueues runs under the same limit), not the migrate URL."""
    container = _container(
        spec,
        "schedule",
        spec.commands.task_argv(schedule.command),
        resource_limits(*ONE_SHOT),
        {"JOB_TIMEOUT_SECONDS": str(spec.job_timeout_s)},
    )
    pod = _pod(
        spec,
        "ai-service-schedule",
        "schedule",
        schedule.name,
        [container],
        restartPolicy="Never",
        terminationGracePeriodSeconds=SHUTDOWN_MARGIN_S,
    )
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": metadata(schedule_name(schedule), spec.namespace, "schedule", schedule.name),
        "spec": {
            "schedule": schedule.cron,
            "timeZone": TIME_ZONE,
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": SCHEDULE_START_DEADLINE_S,
            "successfulJobsHistoryLimit": SCHEDULE_HISTORY,
            "failedJobsHistoryLimit": SCHEDULE_HISTORY,
            "jobTemplate": {
                "metadata": {"labels": labels("schedule", schedule.name)},
                # A run gets the job timeout, then is killed; one retry in a fresh pod.
                "spec": {
                    "backoffLimit": 1,
                    "activeDeadlineSeconds": spec.job_timeout_s,
                    "ttlSecondsAfterFinished": MIGRATE_TTL_S,
                    "template": pod,
                },
            },
        },
    }


def cron_jobs(spec: AppSpec) -> list[dict]:
    return [cron_job(spec, schedule) for schedule in spec.schedules]


def api_service(ns: str, port: int = API_PORT) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata("ai-service-api", ns, "api"),
        "spec": {
            "type": "ClusterIP",
            "selector": selector("api"),
            "ports": [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def worker_metrics_service(ns: str) -> dict:
    """Headless: only so the ServiceMonitor finds every worker pod's metrics port."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata("ai-service-worker-metrics", ns, "worker"),
        "spec": {
            "clusterIP": "None",
            "selector": selector("worker"),
            "ports": [{"name": "metrics", "port": WORKER_METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"}],
        },
    }


def pdb(name: str, ns: str, component: str, instance: str | None = None) -> dict:
    # maxUnavailable 1 (not minAvailable = replicas, which would block every node drain).
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(name, ns, component, instance),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(component, instance)}},
    }


def hpa(name: str, ns: str, component: str, minimum: int, maximum: int, instance: str | None = None) -> dict:
    target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    utilization = [("cpu", 70), ("memory", 80)]
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(name, ns, component, instance),
        "spec": {
            "scaleTargetRef": target,
            "minReplicas": minimum,
            "maxReplicas": maximum,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": res, "target": {"type": "Utilization", "averageUtilization": pct}},
                }
                for res, pct in utilization
            ],
            # Scale down slowly so a burst of uploads does not flap the pods.
            "behavior": {
                "scaleDown": {
                    "stabilizationWindowSeconds": 300,
                    "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
                }
            },
        },
    }


def service_objects(spec: AppSpec) -> list[dict]:
    """Everything of the service except Secrets, the migrate Job and the CronJobs (which the stack orders)."""
    ns = spec.namespace
    objs = [
        service_account("ai-service-api", ns, "api"),
        service_account("ai-service-worker", ns, "worker"),
        service_account("ai-service-migrate", ns, "migrate"),
        *([service_account("ai-service-schedule", ns, "schedule")] if spec.schedules else []),
        config_map(spec),
        api_deployment(spec),
        api_service(ns, spec.port),
        pdb("ai-service-api", ns, "api"),
        hpa("ai-service-api", ns, "api", spec.api_min_replicas, spec.api_max_replicas),
        worker_metrics_service(ns),
    ]
    for worker in spec.workers:
        if worker.replicas == 0:
            continue
        objs.append(worker_deployment(spec, worker))
        objs.append(pdb(worker_name(worker), ns, "worker", worker.name))
        if spec.worker_hpa_max:
            objs.append(
                hpa(
                    worker_name(worker),
                    ns,
                    "worker",
                    worker.replicas,
                    max(spec.worker_hpa_max, worker.replicas),
                    worker.name,
                )
            )
    return objs
