"""The scripts a docker host runs (deploy/*) and the release manifest the agent applies.

The scripts are shell files next to this module (deploy/*.sh); they read their settings from
/etc/ai-service/agent.conf (bucket and region, from cloud-init) and the release's `release.env`
and `host/host.env`, so the text is the same for every stack. `pulumi up` publishes a manifest
(files + release.env + version hash) to the bucket; the agent on the droplet stages it with its
secrets under releases/<version>/ and applies it with rollout.sh (pull, not SSH).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources

SCRIPTS = (
    "lib.sh",
    "agent.sh",
    "host.sh",
    "rollout.sh",
    "healthcheck.sh",
    "backup.sh",
    "restore-redis.sh",
    "restore-accessory.sh",
    "install-cert.sh",
)
BIN_DIR = "/opt/ai-service/bin"


def deploy_scripts() -> dict[str, str]:
    """`deploy/<name>` -> script text."""
    package = resources.files("infra.render.dockerhost") / "deploy"
    return {f"deploy/{name}": (package / name).read_text() for name in SCRIPTS}


def bootstrap_script() -> str:
    """The agent timer's first-boot entry point (cloud-init writes it; it fetches the scripts above)."""
    return (resources.files("infra.render.dockerhost") / "deploy" / "bootstrap.sh").read_text()


@dataclass(frozen=True)
class HostSettings:
    """What the agent applies to the host itself (deploy/host.sh), from the release, not user_data."""

    admin_user: str
    ssh_public_key: str
    ssh_allowed_cidrs: tuple[str, ...]
    domain: str = ""
    letsencrypt_email: str = ""


def host_files(host: HostSettings) -> dict[str, str]:
    if not host.ssh_allowed_cidrs:
        raise ValueError("at least one SSH CIDR is required")
    env = (
        f"ADMIN_USER='{host.admin_user}'\nSSH_ALLOWED_CIDRS='{' '.join(host.ssh_allowed_cidrs)}'\n"
        f"DOMAIN='{host.domain}'\nLETSENCRYPT_EMAIL='{host.letsencrypt_email}'\n"
    )
    return {"host/host.env": env, "host/authorized_keys": host.ssh_public_key.strip() + "\n"}


@dataclass(frozen=True)
class ReleaseServices:
    api: tuple[str, ...]
    workers: tuple[str, ...]  # worker replicas and the scheduler: one at a time, health-gated, after the API
    support: tuple[
        str, ...
    ]  # redis, accessories, monitoring: `up --no-deps`, recreated only when their definition changed
    queues: tuple[str, ...]
    redis: tuple[str, ...] = ("redis",)  # () with redis.url: no Redis container to back up or ping
    accessory_volumes: tuple[str, ...] = ()  # ACCESSORY/VOLUME of each accessory volume: backup.sh archives them
    api_port: int = 8000
    api_stop_grace_s: int = 30  # docker's SIGTERM->SIGKILL; also bounds the wait for in-flight requests
    ready_path: str = "/health/ready"  # the API's readiness path: the replica and edge gates (lib.sh)


def release_env(version: str, services: ReleaseServices) -> str:
    def line(key: str, values: tuple[str, ...]) -> str:
        return f"{key}='{' '.join(values)}'\n"

    return (
        f"VERSION='{version}'\n"
        + line("API_SERVICES", services.api)
        + line("WORKER_SERVICES", services.workers)
        + line("SUPPORT_SERVICES", services.support)
        + line("QUEUES", services.queues)
        + line("REDIS_SERVICE", services.redis)
        + (line("ACCESSORY_VOLUMES", services.accessory_volumes) if services.accessory_volumes else "")
        + f"API_PORT='{services.api_port}'\nAPI_STOP_GRACE='{services.api_stop_grace_s}'\n"
        + f"READY_PATH='{services.ready_path}'\n"
    )


def release_version(files: dict[str, str]) -> str:
    """Content hash of everything a release puts on the host (image digest is in compose.yaml)."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + files[path].encode() + b"\0")
    return digest.hexdigest()[:16]


def release_manifest(files: dict[str, str], services: ReleaseServices, image: str) -> str:
    """The JSON object the agent reads from s3://BUCKET/releases/manifest.json (no secrets)."""
    version = release_version({**files, "image": image})
    return json.dumps(
        {"version": version, "image": image, "release_env": release_env(version, services), "files": files},
        indent=1,
        sort_keys=True,
    )


def secrets_manifest(files: dict[str, str]) -> str:
    """s3://BUCKET/releases/secrets.json: env files the agent writes root-only (0600)."""
    return json.dumps({"files": files}, sort_keys=True)
