"""Pure builders for the Cloud Run service, job and worker-pool templates.

They return the plain dicts handed to `cloudrunv2.Service/Job/WorkerPool(template=...)`, so
the offline plan can render exactly what is deployed (`cloudrun/*.json`). Values such as the
image or a secret id may be Pulumi Inputs: the builders never look inside them. No pulumi import.

Secrets never appear here as values: a `SecretEnv` names a Secret Manager secret and the
version the deployment is pinned to, which is all Cloud Run needs (`secret_key_ref`).

A role's argv renders as the container's `commands` (its first word: the entrypoint) and `args` (the
rest), so the image's own ENTRYPOINT/CMD never matter; an accessory keeps its image's entrypoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.contract import API_PORT, HEALTH_PATH, READY_PATH

# Cloud Run's own request timeout default; the API never gets less (decision 0113).
RUN_TIMEOUT_FLOOR_S = 300


@dataclass(frozen=True)
class SecretEnv:
    """Env var `name` read from Secret Manager `secret` at the pinned `version`."""

    name: str
    secret: Any
    version: Any


@dataclass(frozen=True)
class SecretFile:
    """Secret `secret` (pinned `version`) mounted read-only as `directory/filename`."""

    volume: str
    directory: str
    filename: str
    secret: Any
    version: Any

    @property
    def path(self) -> str:
        return f"{self.directory}/{self.filename}"


@dataclass(frozen=True)
class Workload:
    """One role of the image (api, worker, migrate) as Cloud Run runs it.

    `command` replaces the image's entrypoint (empty: keep it); `args` replace its CMD.
    """

    image: Any
    args: tuple[str, ...]
    cpu: str
    memory: str
    service_account: Any
    network: Any  # None: no VPC interface (a workload that reaches nothing private)
    subnetwork: Any
    env: Mapping[str, Any] = field(default_factory=dict)
    secrets: tuple[SecretEnv, ...] = ()
    files: tuple[SecretFile, ...] = ()
    command: tuple[str, ...] = ()


def argv_split(argv: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A role's whole argv as Cloud Run's (command, args): the first word is the entrypoint."""
    if not argv:
        raise ValueError("a role's argv needs at least its entrypoint")
    return argv[:1], argv[1:]


def request_timeout_s(configured: int) -> int:
    """The API's request timeout: `requestTimeoutS`, never below Cloud Run's own default (300 s).

    Cloud Run's timeout runs from the first byte of the request, so it also bounds a slow client's
    upload; the edges of the other targets bound only the wait for the response.
    """
    return max(configured, RUN_TIMEOUT_FLOOR_S)


def cpu_quantity(vcpu: float) -> str:
    """Cloud Run CPU limit: whole vCPUs as '1', '2'; fractions in millicores ('500m')."""
    return str(int(vcpu)) if float(vcpu).is_integer() else f"{round(vcpu * 1000)}m"


# Cloud Run sizes: whole vCPUs (below 1 needs sidecars and concurrency 1), each with a memory range.
RUN_CPUS = (1, 2, 4, 6, 8)
_MEMORY_GIB = {1: (0.5, 4), 2: (0.5, 8), 4: (2, 16), 6: (4, 24), 8: (4, 32)}  # gen2 starts at 512 MiB


def run_size(vcpu: float, memory_mib: int) -> tuple[str, str]:
    """The smallest valid Cloud Run (cpu, memory) holding `vcpu` and `memory_mib`: 0.25 vCPU/256 MiB -> ('1',
    '512Mi')."""
    cpu = next((c for c in RUN_CPUS if c >= vcpu and _MEMORY_GIB[c][1] * 1024 >= memory_mib), None)
    if cpu is None:
        raise ValueError(f"{vcpu:g} vCPU / {memory_mib} MiB exceeds Cloud Run's largest instance (8 vCPU, 32 GiB)")
    return str(cpu), f"{max(memory_mib, int(_MEMORY_GIB[cpu][0] * 1024))}Mi"


def _envs(workload: Workload) -> list[dict]:
    if "PORT" in workload.env:
        raise ValueError("Cloud Run sets PORT itself and rejects it in env")
    plain = [{"name": name, "value": value} for name, value in sorted(workload.env.items())]
    secret = [
        {"name": s.name, "value_source": {"secret_key_ref": {"secret": s.secret, "version": s.version}}}
        for s in sorted(workload.secrets, key=lambda s: s.name)
    ]
    return plain + secret


def _container(workload: Workload, **extra: Any) -> dict:
    container: dict[str, Any] = {"image": workload.image}
    if workload.command:
        container["commands"] = list(workload.command)
    container |= {
        "args": list(workload.args),
        "envs": _envs(workload),
        "resources": {"limits": {"cpu": workload.cpu, "memory": workload.memory}},
        **extra,
    }
    if workload.files:
        container["volume_mounts"] = [{"name": f.volume, "mount_path": f.directory} for f in workload.files]
    return container


def _pod(workload: Workload) -> dict:
    """What service, job and worker-pool templates share: identity, network, secret volumes."""
    pod: dict[str, Any] = {"service_account": workload.service_account}
    if workload.network is not None:
        # Direct VPC egress: private ranges (Cloud SQL, Memorystore) through the VPC, the rest direct.
        pod["vpc_access"] = {
            "network_interfaces": [{"network": workload.network, "subnetwork": workload.subnetwork}],
            "egress": "PRIVATE_RANGES_ONLY",
        }
    if workload.files:
        pod["volumes"] = [
            {"name": f.volume, "secret": {"secret": f.secret, "items": [{"path": f.filename, "version": f.version}]}}
            for f in workload.files
        ]
    return pod


def service_template(
    workload: Workload,
    *,
    min_instances: int,
    max_instances: int,
    concurrency: int,
    timeout_s: int = RUN_TIMEOUT_FLOOR_S,
    port: int = API_PORT,
    liveness: str = HEALTH_PATH,
    readiness: str = READY_PATH,
) -> dict:
    """The API revision template: probes, autoscaling bounds, request timeout.

    The startup probe asks readiness, so a revision that cannot reach its dependencies never takes
    traffic (the rollout gate); the liveness probe asks liveness, so a dependency outage never
    restarts running instances (decision 0113).
    """
    container = _container(
        workload,
        ports={"container_port": port},  # Cloud Run sets PORT to this
        # 24 x 5 s: up to two minutes for a cold start (image pull, imports) before the revision fails.
        startup_probe={
            "http_get": {"path": readiness, "port": port},
            "period_seconds": 5,
            "timeout_seconds": 3,
            "failure_threshold": 24,
        },
        liveness_probe={
            "http_get": {"path": liveness, "port": port},
            "period_seconds": 30,
            "timeout_seconds": 5,
            "failure_threshold": 3,
        },
    )
    container["resources"] |= {"cpu_idle": True, "startup_cpu_boost": True}  # request-based billing
    return {
        **_pod(workload),
        "containers": [container],
        "scaling": {"min_instance_count": min_instances, "max_instance_count": max_instances},
        "max_instance_request_concurrency": concurrency,
        "timeout": f"{timeout_s}s",
        "execution_environment": "EXECUTION_ENVIRONMENT_GEN2",
    }


def job_template(workload: Workload, *, timeout_s: int = 600, max_retries: int = 1) -> dict:
    """A run-to-completion task (migrations, schedules): one task at a time, retried `max_retries` times."""
    return {
        "task_count": 1,
        "parallelism": 1,
        "template": {
            **_pod(workload),
            "containers": [_container(workload)],
            "max_retries": max_retries,
            "timeout": f"{timeout_s}s",
            "execution_environment": "EXECUTION_ENVIRONMENT_GEN2",
        },
    }


def accessory_template(workload: Workload, *, port: int, max_instances: int) -> dict:
    """An accessory's revision: its own port, a TCP startup probe (its health path is unknown), scale to zero."""
    container = _container(
        workload,
        ports={"container_port": port},
        startup_probe={
            "tcp_socket": {"port": port},
            "period_seconds": 5,
            "timeout_seconds": 3,
            "failure_threshold": 24,
        },
    )
    container["resources"] |= {"cpu_idle": True}  # request-based billing
    return {
        **_pod(workload),
        "containers": [container],
        "scaling": {"min_instance_count": 0, "max_instance_count": max_instances},
        "execution_environment": "EXECUTION_ENVIRONMENT_GEN2",
    }


def worker_pool_template(workload: Workload) -> dict:
    """A worker pool revision: no URL, no probes on HTTP (workers serve metrics only)."""
    return {**_pod(workload), "containers": [_container(workload)]}
