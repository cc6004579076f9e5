"""A simulated droplet for the host-script tests: what cloud-init writes (bootstrap.sh) under a tmp
/opt/ai-service, the release's scripts fetched from a directory standing in for the bucket, with
`docker` and `curl` replaced on PATH (fake_docker.sh; its redis container is a real redis-server)
and the host commands host.sh runs (useradd, ufw, …) logging to host.log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from infra.components.dockerhost.release import release_services, static_files
from infra.render.dockerhost import topology
from infra.render.dockerhost.compose import render_compose
from infra.render.dockerhost.deploy import (
    HostSettings,
    bootstrap_script,
    deploy_scripts,
    host_files,
    release_manifest,
    secrets_manifest,
)
from infra.settings import Settings

HERE = Path(__file__).parent
SETTINGS = Settings(target="droplet", app_env="development", ssh_allowed_cidrs=("203.0.113.0/24",))
IMAGES = {tag: f"registry.digitalocean.com/ai-service/ai-service@sha256:{tag * 64}" for tag in "abc"}
ADMIN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPlaceholderKeyForTestsOnly0000000000000 ops@example"
# Host commands host.sh runs, logged instead of changing this machine's users and firewall.
HOST_COMMANDS = {
    "useradd": 'echo "useradd $*" >>"$FAKE_HOST_LOG"; touch "$FAKE_HOST_STATE/user-${*: -1}"',
    "id": '[ -e "$FAKE_HOST_STATE/user-${*: -1}" ]',
    "getent": 'echo "${*: -1}:x:1000:1000::$FAKE_HOST_STATE/home-${*: -1}:/bin/bash"',
    "ufw": 'echo "ufw $*" >>"$FAKE_HOST_LOG"',
    "chown": 'echo "chown $*" >>"$FAKE_HOST_LOG"',
}


class Host:
    def __init__(self, root: Path, *, scripts_installed: bool = False, processes: bool = False):
        """scripts_installed: as after a first release (the release's deploy scripts in bin/).
        processes: `docker` runs real API processes and nginx (docker_procs.py) and `curl` is the real one."""
        self.root = root
        self.project = root / "opt"
        self.live = self.project / "live"
        self.releases = self.project / "releases"
        self.s3 = root / "s3"
        self.log = root / "docker.log"
        fake_bin = root / "fake-bin"
        fake_bin.mkdir()
        if processes:
            # PYTHONPATH: docker_procs.py imports tests.support (the ai-service processes it starts get their own env)
            (fake_bin / "docker").write_text(
                f'#!/bin/sh\nexec env PYTHONPATH={HERE.parents[1]} {sys.executable} {HERE / "docker_procs.py"} "$@"\n'
            )
            (fake_bin / "docker").chmod(0o755)
        else:
            (fake_bin / "docker").symlink_to(HERE / "fake_docker.sh")
            (fake_bin / "curl").write_text('#!/bin/sh\n[ -z "$FAKE_EDGE_DOWN" ]\n')
            (fake_bin / "curl").chmod(0o755)
        for name, body in HOST_COMMANDS.items():
            (fake_bin / name).write_text(f"#!/usr/bin/env bash\n{body}\n")
            (fake_bin / name).chmod(0o755)
        self.host_state = root / "etc"
        (self.host_state / "sudoers.d").mkdir(parents=True)
        self.host_log = root / "host.log"
        bin_dir = self.project / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "bootstrap.sh").write_text(bootstrap_script())  # what cloud-init writes at first boot
        (bin_dir / "bootstrap.sh").chmod(0o755)
        for path, text in deploy_scripts().items() if scripts_installed else ():
            (bin_dir / Path(path).name).write_text(text)
            (bin_dir / Path(path).name).chmod(0o755)
        conf = root / "agent.conf"
        conf.write_text(f"PROJECT_DIR={self.project}\nS3_BUCKET=bucket\nS3_REGION=us-east-1\n")
        (root / "credentials.env").write_text("AWS_ACCESS_KEY_ID=x\n")
        self.env = {
            "PATH": f"{fake_bin}:{os.environ['PATH']}",
            "AGENT_CONF": str(conf),
            "CREDENTIALS": str(root / "credentials.env"),
            "FAKE_LOG": str(self.log),
            "FAKE_S3": str(self.s3),
            "FAKE_LIVE": str(self.live),
            "HEALTH_TIMEOUT": "10",
            "HOST_STATE": str(self.host_state),
            "SUDOERS_DIR": str(self.host_state / "sudoers.d"),
            "FAKE_HOST_LOG": str(self.host_log),
            "FAKE_HOST_STATE": str(self.host_state),
        }
        self.settings = SETTINGS
        self.s3_endpoint_url = ""
        self.app_secrets = {"SECRET_KEY": "s3cr3t-value-for-tests"}
        self.migrate_secrets: dict[str, str] = {}

    def publish(
        self, image: str, *, bucket: str = "bucket", cidrs: tuple[str, ...] = ("203.0.113.0/24",), **app_secrets: str
    ) -> str:
        """What `pulumi up` writes to the bucket for `image`; returns the release version."""
        settings = self.settings
        profile = topology.HostProfile(
            image=image,
            s3_bucket=bucket,
            s3_region="us-east-1",
            https_port=None,
            s3_endpoint_url=self.s3_endpoint_url,
            drained_upstreams=True,
        )
        specs = topology.docker_host_containers(settings, profile)
        host = host_files(HostSettings(admin_user="ops", ssh_public_key=ADMIN_KEY, ssh_allowed_cidrs=cidrs))
        files = {**static_files(settings, "dev"), **host, "compose.yaml": render_compose(specs)}
        manifest = release_manifest(files, release_services(settings, specs), image)
        (self.s3 / "releases").mkdir(parents=True, exist_ok=True)
        (self.s3 / "releases/manifest.json").write_text(manifest)
        app_env = "".join(f"{k}='{v}'\n" for k, v in {**self.app_secrets, **app_secrets}.items())
        (self.s3 / "releases/secrets.json").write_text(
            secrets_manifest(
                {
                    topology.APP_ENV_FILE: app_env,
                    "secrets/grafana-admin-password": "g",
                    "docker/config.json": "{}",
                    **(
                        {topology.MIGRATE_ENV_FILE: "".join(f"{k}='{v}'\n" for k, v in self.migrate_secrets.items())}
                        if self.migrate_secrets
                        else {}
                    ),
                }
            )
        )
        return json.loads(manifest)["version"]

    def agent(self, **env: str) -> subprocess.CompletedProcess:
        """One run of the agent timer (its unit runs bootstrap.sh, which hands over to agent.sh)."""
        self.log.write_text("")
        return subprocess.run(
            [str(self.project / "bin/bootstrap.sh")],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=300,
        )

    def calls(self) -> list[str]:
        return [
            line.split("compose.yaml ", 1)[-1] if line.startswith("compose ") else line
            for line in self.log.read_text().splitlines()
        ]

    def current(self) -> str:
        return os.readlink(self.releases / "current")


def cli(host: Host, *args: str) -> str:
    return subprocess.run(
        ["redis-cli", "-p", host.env["FAKE_REDIS_PORT"], *args], capture_output=True, text=True, check=True, timeout=10
    ).stdout.strip()


def run_script(host: Host, name: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(host.project / "bin" / name), *args], env={**host.env, **env}, capture_output=True, text=True, timeout=120
    )


def compose_up_redis(host: Host) -> None:
    subprocess.run(
        ["docker", "compose", "-f", "compose.yaml", "up", "-d", "--no-deps", "redis"],
        env=host.env,
        check=True,
        timeout=30,
    )
