"""The droplet: only the migrate container reads the database owner's URL (its own env file);
every other container connects as the app role, which migrate grants rows only."""

from __future__ import annotations

from urllib.parse import urlsplit

import yaml
from dotenv import dotenv_values

from infra.render.dockerhost.topology import MIGRATE_ENV_FILE
from infra.tooling.values import Secret
from tests.droplet.test_extras import secret_files

APP_URL = "postgresql://svc:SENTINEL-app-pw-c41@db.example.net:25060/app?sslmode=require"
OWNER_URL = "postgresql://owner:SENTINEL-owner-pw-93b@db.example.net:25060/app?sslmode=require"


def _env_file(text: str) -> dict[str, str]:
    from io import StringIO

    return dict(dotenv_values(stream=StringIO(text)))


def _droplet_owner_readers(plan) -> list[str]:
    services = yaml.safe_load(plan.artifacts["compose.yaml"])["services"]
    assert len(services) > 8  # api replicas, workers, scheduler, redis, nginx, monitoring…
    return sorted(
        name
        for name, service in services.items()
        if any(
            entry == MIGRATE_ENV_FILE or (isinstance(entry, dict) and entry.get("path") == MIGRATE_ENV_FILE)
            for entry in service.get("env_file", [])
        )
    )


def test_droplet_only_migrate_reads_the_owner_url(plan_stack):
    plan = plan_stack("dev")
    assert _droplet_owner_readers(plan) == ["migrate"]
    files = secret_files(plan)
    owner = _env_file(files[MIGRATE_ENV_FILE])
    app = _env_file(files["secrets/app.env"])
    assert list(owner) == ["MIGRATE_DATABASE_URL"] and "MIGRATE_DATABASE_URL" not in app
    # DigitalOcean creates the app user (plain login role); migrate grants it rows. The owner is the admin user.
    assert urlsplit(app["DATABASE_URL"]).username == "ai_service" != urlsplit(owner["MIGRATE_DATABASE_URL"]).username


def test_droplet_bring_your_own_migrate_url(plan_stack):
    plan = plan_stack("dev", database=Secret({"url": APP_URL, "migrateUrl": OWNER_URL}))
    files = secret_files(plan)
    assert _env_file(files[MIGRATE_ENV_FILE]) == {"MIGRATE_DATABASE_URL": OWNER_URL}
    assert _env_file(files["secrets/app.env"])["DATABASE_URL"] == APP_URL
    assert _droplet_owner_readers(plan) == ["migrate"] and plan.advisories == []
