"""A simulated droplet for the host-script tests: the rendered scripts under a tmp /opt/ai-service,
with `docker` and `curl` replaced on PATH (fake_docker.sh; its redis container is a real redis-server)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from infra import topology
from infra.components.docker_host_release import release_services, static_files
from infra.render.compose import render_compose
from infra.render.deploy import deploy_scripts, release_manifest, secrets_manifest
from infra.settings import Settings

HERE = Path(__file__).parent
SETTINGS = Settings(target="droplet", app_env="development", ssh_allowed_cidrs=("203.0.113.0/24",))
IMAGES = {tag: f"registry.digitalocean.com/ai-service/ai-service@sha256:{tag * 64}" for tag in "abc"}


class Host:
    def __init__(self, root: Path):
        self.root = root
        self.project = root / "opt"
        self.live = self.project / "live"
        self.releases = self.project / "releases"
        self.s3 = root / "s3"
        self.log = root / "docker.log"
        fake_bin = root / "fake-bin"
        fake_bin.mkdir()
        (fake_bin / "docker").symlink_to(HERE / "fake_docker.sh")
        (fake_bin / "curl").write_text('#!/bin/sh\n[ -z "$FAKE_EDGE_DOWN" ]\n')
        (fake_bin / "curl").chmod(0o755)
        bin_dir = self.project / "bin"
        bin_dir.mkdir(parents=True)
        for path, text in deploy_scripts().items():  # what cloud-init writes at first boot
            (bin_dir / Path(path).name).write_text(text)
            (bin_dir / Path(path).name).chmod(0o755)
        conf = root / "agent.conf"
        conf.write_text(f"PROJECT_DIR={self.project}\nS3_BUCKET=bucket\nS3_REGION=us-east-1\nDOMAIN=\n")
        (root / "credentials.env").write_text("AWS_ACCESS_KEY_ID=x\n")
        self.env = {
            "PATH": f"{fake_bin}:{os.environ['PATH']}", "AGENT_CONF": str(conf),
            "CREDENTIALS": str(root / "credentials.env"), "FAKE_LOG": str(self.log), "FAKE_S3": str(self.s3),
            "FAKE_LIVE": str(self.live), "HEALTH_TIMEOUT": "10",
        }

    def publish(self, image: str) -> str:
        """What `pulumi up` writes to the bucket for `image`; returns the release version."""
        profile = topology.HostProfile(image=image, s3_bucket="bucket", s3_region="us-east-1", https_port=None)
        specs = topology.docker_host_containers(SETTINGS, profile)
        files = {**static_files(SETTINGS, "dev"), "compose.yaml": render_compose(specs)}
        manifest = release_manifest(files, release_services(SETTINGS, specs), image)
        (self.s3 / "releases").mkdir(parents=True, exist_ok=True)
        (self.s3 / "releases/manifest.json").write_text(manifest)
        (self.s3 / "releases/secrets.json").write_text(
            secrets_manifest({"secrets/app.env": "SECRET_KEY='s3cr3t-value-for-tests'\n",
                              "secrets/grafana-admin-password": "g", "docker/config.json": "{}"}))
        return json.loads(manifest)["version"]

    def agent(self, **env: str) -> subprocess.CompletedProcess:
        self.log.write_text("")
        return subprocess.run([str(self.project / "bin/agent.sh")], env={**self.env, **env},
                              capture_output=True, text=True, timeout=120)

    def calls(self) -> list[str]:
        return [line.split("compose.yaml ", 1)[-1] if line.startswith("compose ") else line
                for line in self.log.read_text().splitlines()]

    def current(self) -> str:
        return (self.releases / "current").read_text().strip()


def cli(host: Host, *args: str) -> str:
    return subprocess.run(["redis-cli", "-p", host.env["FAKE_REDIS_PORT"], *args], capture_output=True, text=True,
                          check=True, timeout=10).stdout.strip()


def run_script(host: Host, name: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(host.project / "bin" / name), *args], env={**host.env, **env}, capture_output=True,
                          text=True, timeout=120)


def compose_up_redis(host: Host) -> None:
    subprocess.run(["docker", "compose", "-f", "compose.yaml", "up", "-d", "--no-deps", "redis"], env=host.env,
                   check=True, timeout=30)
