"""The local variant of the docker-host topology: plain data, checked without Pulumi."""

from __future__ import annotations

import json
import subprocess

from infra.render.dockerhost.topology_local import SEAWEEDFS_IMAGE, local_containers, storage_server
from infra.settings import load_settings
from infra.tooling.plan.stackfile import load_stack_config
from tests.fixtures.plan import stack_file


def _settings(**local):
    values = dict(load_stack_config("local", stack_file("local")).values)
    if local:
        values["ai-service:local"] = json.dumps(local)
    return load_settings(values)


def test_shell_probes_parse_under_posix_sh():
    for spec in local_containers(_settings()):
        hc = spec.healthcheck
        if hc and hc.test[0] == "CMD-SHELL":
            check = subprocess.run(["sh", "-n", "-c", hc.test[1]], capture_output=True, text=True)
            assert check.returncode == 0, (spec.name, check.stderr)


def test_storage_probe_names_the_configured_bucket_and_image_is_pinned():
    spec = storage_server(_settings(bucket="docs-local"))
    assert "docs-local" in spec.healthcheck.test[1] and "s3.bucket.create -name docs-local" in spec.healthcheck.test[1]
    assert spec.image == SEAWEEDFS_IMAGE and SEAWEEDFS_IMAGE.split(":")[1][0].isdigit()
    assert "minio" not in " ".join(s.image for s in local_containers(_settings()))


def test_app_containers_get_the_local_bucket_and_endpoint():
    for spec in local_containers(_settings(bucket="docs-local")):
        if spec.role in {"api", "worker", "migrate"}:
            assert spec.environment["S3_BUCKET"] == "docs-local"
            assert spec.environment["S3_ENDPOINT_URL"] == "http://storage:8333"


def test_the_service_accepts_the_environment_the_local_stack_gives_it(monkeypatch, tmp_path):
    """Spec env + generated env files, as Docker would merge them, through the service's own config model."""
    from ai_service.settings import Settings as ServiceSettings
    from ai_service.settings import check_startup
    from dotenv import dotenv_values

    from infra.render.dockerhost import local_secrets

    files = {p.relative_to(tmp_path).as_posix(): p for p in local_secrets.write(tmp_path)}
    for spec in local_containers(_settings()):
        if spec.role not in {"api", "worker", "migrate"}:
            continue
        env = dict(spec.environment)
        for env_file in spec.env_file:
            env |= dotenv_values(files[env_file])
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        service = ServiceSettings()
        check_startup(service, needs_api_keys=True)
        assert service.s3_endpoint_url == "http://storage:8333" and service.tenant_keys
        assert (spec.role == "migrate") == (service.migrate_database_url is not None)
        for key in env:
            monkeypatch.delenv(key)
    # production settings (appEnv=production) must start too: a real SECRET_KEY and API keys
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", dotenv_values(files["secrets/app.env"])["SECRET_KEY"])
    monkeypatch.setenv("API_KEYS", dotenv_values(files["secrets/app.env"])["API_KEYS"])
    check_startup(ServiceSettings(), needs_api_keys=True)
