"""Only the migrate job holds the database owner's URL on Cloud Run; the app role the other
workloads connect as is created by migrate in SQL (never through the Cloud SQL API, whose users
are all members of cloudsqlsuperuser)."""

from __future__ import annotations

from urllib.parse import urlsplit

from infra.tooling.values import Secret, unwrapped
from tests.gcp.conftest import envs, workloads

OWNER_SECRET = "ai-service-gcp-migrate-database-url"
APP_URL = "postgresql://svc:SENTINEL-app-71aa@db.example.invalid:5432/app?sslmode=require"
OWNER_URL = "postgresql://owner:SENTINEL-owner-0d9e@db.example.invalid:5432/app?sslmode=require"


def _secret_data(plan, name: str) -> str:
    return unwrapped(plan.one("SecretVersion", name).inputs)["secretData"]


def _owner_readers(plan) -> list[str]:
    """Workloads whose env references the owner's secret, by resource name."""
    return sorted(
        w.name
        for w in workloads(plan)
        if any(e.get("valueSource", {}).get("secretKeyRef", {}).get("secret") == OWNER_SECRET for e in envs(w))
    )


def test_only_the_migrate_job_references_the_owner_url(plan_stack):
    plan = plan_stack("gcp", schedules=[{"name": "cleanup", "cron": "0 * * * *", "command": ["enqueue-cleanup"]}])
    assert len(workloads(plan)) >= 5  # api, two worker pools, migrate, a scheduled job
    assert _owner_readers(plan) == ["migrate"]
    members = [
        unwrapped(m.inputs)["member"]
        for m in plan.find("SecretIamMember")
        if m.name.startswith("secret-migrate-database-url-")
    ]
    migrate_sa = unwrapped(plan.one("serviceaccount/account:Account", "sa-migrate").inputs)["accountId"]
    assert len(members) == 1 and migrate_sa in members[0]


def test_the_app_role_is_not_an_api_user(gcp):
    app, owner = (
        urlsplit(_secret_data(gcp, "secret-database-url")),
        urlsplit(_secret_data(gcp, "secret-migrate-database-url")),
    )
    api_users = [unwrapped(u.inputs)["name"] for u in gcp.find("sql/user:User")]
    assert api_users == [owner.username] == ["ai_service_admin"]
    assert app.username == "ai_service_app" and app.username not in api_users
    assert app.password != owner.password


def test_bring_your_own_migrate_url_goes_to_the_migrate_job_only(plan_stack):
    plan = plan_stack("gcp", database=Secret({"url": APP_URL, "migrateUrl": OWNER_URL}))
    assert (_secret_data(plan, "secret-database-url"), _secret_data(plan, "secret-migrate-database-url")) == (
        APP_URL,
        OWNER_URL,
    )
    assert _owner_readers(plan) == ["migrate"] and plan.advisories == []
    assert plan.find("sql/") == []
