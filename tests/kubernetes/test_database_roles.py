"""Only the migrate Job reads the database owner's URL (its own Secret); the Deployments,
CronJobs and accessories get the app role's URL."""

from __future__ import annotations

from urllib.parse import urlsplit

from infra.render.kubernetes import workloads
from infra.tooling.plan.report import text_report
from infra.tooling.values import Secret, unwrapped

APP_URL = "postgresql://svc:sentinel-app-pw-2d1@db.example.net:5432/app?sslmode=require"
OWNER_URL = "postgresql://owner:sentinel-owner-pw-6e0@db.example.net:5432/app?sslmode=require"


def _references(value, name: str) -> bool:
    if isinstance(value, dict):
        return any(
            (k in ("secretRef", "secretKeyRef") and isinstance(v, dict) and v.get("name") == name)
            or _references(v, name)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_references(v, name) for v in value)
    return False


def _owner_readers(plan) -> list[str]:
    return sorted(
        f"{r.type.rsplit(':', 1)[-1]}/{r.name}"
        for r in plan.resources
        if _references(unwrapped(r.inputs), workloads.MIGRATE_SECRET_NAME)
    )


def _secret(plan, name: str) -> dict[str, str]:
    return unwrapped(plan.one("kubernetes:core/v1:Secret", f"secret-{name}").inputs["stringData"])


def test_only_the_migrate_job_reads_the_owner_url(plan_stack):
    plan = plan_stack("prod")
    assert plan.find("Deployment") and plan.find("CronJob")  # they exist and are checked
    assert _owner_readers(plan) == ["Job/migrate"]
    app, owner = _secret(plan, workloads.SECRET_NAME), _secret(plan, workloads.MIGRATE_SECRET_NAME)
    assert list(owner) == ["MIGRATE_DATABASE_URL"] and "MIGRATE_DATABASE_URL" not in app
    # DigitalOcean creates the app user (a plain login role); the owner is the cluster's admin user.
    assert urlsplit(app["DATABASE_URL"]).username != urlsplit(owner["MIGRATE_DATABASE_URL"]).username


def test_bring_your_own_migrate_url_reaches_the_migrate_secret_only(plan_stack):
    plan = plan_stack("prod", database=Secret({"url": APP_URL, "migrateUrl": OWNER_URL}))
    assert _secret(plan, workloads.SECRET_NAME)["DATABASE_URL"] == APP_URL
    assert _secret(plan, workloads.MIGRATE_SECRET_NAME) == {"MIGRATE_DATABASE_URL": OWNER_URL}
    assert _owner_readers(plan) == ["Job/migrate"] and plan.advisories == []
    one_url = plan_stack("prod", database=Secret({"url": APP_URL}))
    assert [line.split(":")[1] for line in one_url.advisories] == ["database.migrateUrl"]
    assert one_url.problems == []  # advisory: the plan still passes, and says so
    assert "Advisory: ai-service:database.migrateUrl: not set" in text_report(one_url)
    assert _secret(one_url, workloads.MIGRATE_SECRET_NAME) == {"MIGRATE_DATABASE_URL": APP_URL}
