"""`ai-service migrate`: needs an owner/admin role, is idempotent and safe to run concurrently;
the API then runs as a role that cannot create anything."""

from __future__ import annotations

import subprocess

import psycopg
import pytest

from tests.fixtures.services import AI_SERVICE, migrate

pytestmark = pytest.mark.system


def _tables(admin_url: str) -> set[str]:
    with psycopg.connect(admin_url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {name for (name,) in rows}


def test_app_role_cannot_migrate_admin_can_twice(service_env):
    env = service_env(migrated=False)
    as_app = {k: v for k, v in env.items() if k != "MIGRATE_DATABASE_URL"}
    refused = migrate(as_app)
    assert refused.returncode == 2
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "permission denied" in refused.stderr and "MIGRATE_DATABASE_URL" in refused.stderr
    assert _tables(env["MIGRATE_DATABASE_URL"]) == set()

    first = migrate(env)
    assert first.returncode == 0, first.stderr
    assert _tables(env["MIGRATE_DATABASE_URL"]) == {"alembic_version", "documents", "chunks"}
    second = migrate(env)
    assert second.returncode == 0, second.stderr
    assert first.stdout.splitlines()[-1] == second.stdout.splitlines()[-1] == "database at revision 0003"
    assert "Running upgrade" in first.stdout
    assert "Running upgrade" not in second.stdout  # nothing applied the second time

    with psycopg.connect(env["DATABASE_URL"]) as conn:  # the app role
        can_create = conn.execute("SELECT has_schema_privilege('public', 'CREATE')").fetchone()[0]
        superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
        conn.execute(
            "INSERT INTO documents (id, tenant, filename, content_type, size_bytes, storage_key, status)"
            " VALUES (gen_random_uuid(), 't', 'f', 'text/plain', 1, 'k', 'queued')"
        )
    assert (can_create, superuser) == (False, False)


def test_concurrent_migrations_are_serialised(service_env):
    env = service_env(migrated=False)
    runs = [
        subprocess.Popen([AI_SERVICE, "migrate"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    results = [(run.wait(timeout=120), run.communicate()) for run in runs]
    assert [code for code, _ in results] == [0, 0, 0], [err for _, (_, err) in results]
    assert _tables(env["MIGRATE_DATABASE_URL"]) == {"alembic_version", "documents", "chunks"}


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_libpq_url_forms(service_env, postgres, scheme):
    """postgres:// and postgresql:// with sslmode and a unix-socket host all work as DATABASE_URL."""
    env = service_env(migrated=False)
    admin = env["MIGRATE_DATABASE_URL"].replace("postgresql://", f"{scheme}://", 1) + "&sslmode=disable"
    result = migrate({**env, "MIGRATE_DATABASE_URL": admin})
    assert result.returncode == 0, result.stderr
