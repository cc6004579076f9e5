"""Least privilege in Postgres: `ai-service migrate`, run as a non-superuser owner (like managed
Postgres: RDS master, Cloud SQL admin, DigitalOcean doadmin), creates the app role named by
DATABASE_URL and grants it rows only. The app role reads and writes documents and chunks and is
refused every DDL statement; the owner is not."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

import psycopg
import pytest

from tests.fixtures.services import migrate

pytestmark = pytest.mark.system

DDL = {
    "CREATE TABLE": "CREATE TABLE intruder (id int)",
    "DROP TABLE": "DROP TABLE chunks",
    "ALTER TABLE": "ALTER TABLE documents ADD COLUMN intruder text",
    # plpgsql is trusted: a role with CREATE on the database may install it (pgserver ships no other).
    "CREATE EXTENSION": "CREATE EXTENSION plpgsql",
    "CREATE SCHEMA": "CREATE SCHEMA intruder",
    "CREATE INDEX": "CREATE INDEX intruder ON documents (filename)",
    "TRUNCATE": "TRUNCATE documents CASCADE",
}


@pytest.fixture
def managed(postgres, service_env):
    """A database owned by a CREATEROLE non-superuser with `vector` pre-installed (the platform's allowlist),
    and an env whose DATABASE_URL names an app role that does not exist yet."""
    suffix = uuid.uuid4().hex[:8]
    owner, app = f"owner_{suffix}", f"app_{suffix}"
    postgres.sql(f"CREATE ROLE {owner} LOGIN CREATEROLE NOSUPERUSER NOCREATEDB")
    database = f"m_{suffix}"
    postgres.sql(f"CREATE DATABASE {database} OWNER {owner}")
    postgres.sql("CREATE EXTENSION vector", database=database)
    postgres.sql("DROP EXTENSION plpgsql", database=database)  # so that CREATE EXTENSION has something to install
    env = service_env(migrated=False)
    env |= {
        "DATABASE_URL": postgres.url(f"{app}:app-pass-1", database),
        "MIGRATE_DATABASE_URL": postgres.url(owner, database),
    }
    return env, owner, app, database


def _refused(url: str, statement: str) -> bool:
    with psycopg.connect(url) as conn:
        try:
            conn.execute(statement)
        except psycopg.errors.InsufficientPrivilege:
            return True
        conn.rollback()
    return False


def _insert_document(conn: psycopg.Connection) -> str:
    return conn.execute(
        "INSERT INTO documents (id, tenant, filename, content_type, size_bytes, storage_key, status)"
        " VALUES (gen_random_uuid(), 't', 'f.txt', 'text/plain', 1, 'documents/k', 'queued') RETURNING id"
    ).fetchone()[0]


def _verifier(postgres, role: str) -> str:
    with psycopg.connect(postgres.admin_url()) as conn:
        return conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,)).fetchone()[0]


def _scram_matches(verifier: str, password: str) -> bool:
    """RFC 5803 / Postgres: SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>."""
    method, params, keys = verifier.split("$")
    iterations, salt = params.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return method == "SCRAM-SHA-256" and base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key


def test_app_role_reads_and_writes_rows_and_is_refused_ddl(managed, postgres):
    env, owner, app, database = managed
    result = migrate(env)
    assert result.returncode == 0, result.stderr
    app_url, owner_url = env["DATABASE_URL"], env["MIGRATE_DATABASE_URL"]

    with psycopg.connect(app_url) as conn:  # rows: documents and chunks, insert/select/update/delete
        assert conn.execute("SELECT current_user").fetchone()[0] == app
        document = _insert_document(conn)
        conn.execute(
            (
                "INSERT INTO chunks (document_id, tenant, ordinal, content, embedding) VALUES (%s, 't', 0, 'hello', "
                "%s::vector)"
            ),
            (document, "[" + ",".join(["0.1"] * 64) + "]"),
        )
        conn.execute("UPDATE documents SET status = 'indexed' WHERE id = %s", (document,))
        assert conn.execute("SELECT count(*) FROM chunks WHERE document_id = %s", (document,)).fetchone()[0] == 1
        conn.execute("DELETE FROM documents WHERE id = %s", (document,))
        assert conn.execute("SELECT count(*) FROM chunks").fetchone()[0] == 0  # ON DELETE CASCADE as the app role

    refused = {name: _refused(app_url, statement) for name, statement in DDL.items()}
    assert refused == dict.fromkeys(DDL, True)
    assert _refused(app_url, "UPDATE alembic_version SET version_num = 'x'")  # the ledger is the owner's

    with psycopg.connect(postgres.admin_url(database)) as conn:
        tables = dict(
            conn.execute("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'").fetchall()
        )
        app_flags = conn.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolcanlogin FROM pg_roles WHERE rolname = %s", (app,)
        ).fetchone()
    assert tables == {"alembic_version": owner, "documents": owner, "chunks": owner}
    assert app_flags == (False, False, False, True)

    # The owner can do what the app role cannot.
    assert {name: _refused(owner_url, statement) for name, statement in DDL.items()} == dict.fromkeys(DDL, False)


def test_tables_later_migrations_create_are_granted(managed):
    env, owner, app, database = managed
    assert migrate(env).returncode == 0
    with psycopg.connect(env["MIGRATE_DATABASE_URL"]) as conn:  # a later migration, run by the owner
        conn.execute("CREATE TABLE later (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text)")
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        conn.execute("INSERT INTO later (note) VALUES ('x')")  # table and its sequence
        assert conn.execute("SELECT note FROM later").fetchall() == [("x",)]


def test_idempotent_and_a_new_password_in_the_url_rotates_it(managed, postgres):
    env, owner, app, database = managed
    assert migrate(env).returncode == 0
    # A SCRAM verifier computed by libpq: the clear text never reached the server.
    assert _scram_matches(_verifier(postgres, app), "app-pass-1")
    again = migrate(env)
    assert again.returncode == 0, again.stderr
    assert _scram_matches(_verifier(postgres, app), "app-pass-1")

    rotated = migrate({**env, "DATABASE_URL": env["DATABASE_URL"].replace("app-pass-1", "app-pass-2")})
    assert rotated.returncode == 0, rotated.stderr
    assert _scram_matches(_verifier(postgres, app), "app-pass-2")
    assert "app-pass" not in again.stdout + again.stderr + rotated.stdout + rotated.stderr


def test_a_platform_created_app_role_is_granted_and_keeps_its_password(managed, postgres):
    """DigitalOcean creates the database user itself: the owner cannot administer it but still grants rows."""
    env, owner, app, database = managed
    postgres.sql(f"CREATE ROLE {app} LOGIN PASSWORD 'platform-pass'")
    before = _verifier(postgres, app)
    result = migrate(env)
    assert result.returncode == 0, result.stderr
    assert _verifier(postgres, app) == before
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        _insert_document(conn)
    assert _refused(env["DATABASE_URL"], DDL["CREATE TABLE"])


def test_excess_privileges_granted_outside_migrations_are_reported(managed, postgres):
    """A platform role with more than rows (e.g. Cloud SQL API users) is named in migrate's log."""
    env, owner, app, database = managed
    postgres.sql(f"CREATE ROLE {app} LOGIN CREATEDB")
    result = migrate(env)
    assert result.returncode == 0, result.stderr
    assert "app_role_excess_privileges" in result.stdout + result.stderr
    assert "createdb" in result.stdout + result.stderr
