"""The local stack: only the migrate container has the owner's URL (the container's `postgres`
superuser); the service connects as the app role that migrate creates and grants rows only."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.local.test_plan import containers, env


def test_local_only_migrate_has_the_owner_url(plan_stack):
    plan = plan_stack("local")
    by_name = containers(plan)
    holders = sorted(name for name, inputs in by_name.items() if "MIGRATE_DATABASE_URL" in env(inputs))
    assert holders == ["migrate"]
    owner = urlsplit(env(by_name["migrate"])["MIGRATE_DATABASE_URL"])
    for name, inputs in by_name.items():
        if "DATABASE_URL" in env(inputs):  # the service's roles: the app role, never postgres
            assert urlsplit(env(inputs)["DATABASE_URL"]).username == "ai_service_app" != owner.username, name
