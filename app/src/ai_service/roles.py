"""The app role: created and granted by `ai-service migrate` (run as the owner), nothing more.

DATABASE_URL's user is the role the API, workers and scheduled commands connect as. After the
schema is at head, the owner makes sure that role exists (with DATABASE_URL's password, so a
new password in the URL is a rotation) and holds exactly:
- CONNECT on the database and USAGE on the schema,
- SELECT, INSERT, UPDATE, DELETE on the service's tables (not on alembic_version),
- USAGE, SELECT on its sequences,
- the same on tables and sequences later migrations create (default privileges of the owner).
No CREATE on the schema, no ownership: the app role cannot create, alter or drop anything.

The password is sent as a SCRAM verifier computed by libpq, so the clear text never reaches the
server's statement log. Where the platform created the role (DigitalOcean database users), the
owner may not be allowed to change its password: the platform's password stays in use.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .logs import get_logger

SCHEMA = "public"
log = get_logger("ai_service.roles")


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _verifier(conn: Connection, role: str, password: str) -> str:
    """libpq's PQencryptPasswordConn: the server's password_encryption (scram-sha-256) applied client side."""
    pgconn = conn.connection.dbapi_connection.pgconn  # type: ignore[union-attr]
    return pgconn.encrypt_password(password.encode(), role.encode()).decode()


def _ensure_login(conn: Connection, role: str, password: str | None) -> str:
    """Create the role if absent, else set its password; returns what was done."""
    quoted = _quote(conn, role)
    exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
    secret = f" PASSWORD {_literal(_verifier(conn, role, password))}" if password else ""
    if not exists:
        # Driver SQL, not sa.text(): a verifier's ":" would be read as a bind parameter.
        conn.exec_driver_sql(f"CREATE ROLE {quoted} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION{secret}")
        return "created"
    if not secret:
        return "kept"
    savepoint = conn.begin_nested()
    try:
        conn.exec_driver_sql(f"ALTER ROLE {quoted}{secret}")
    except sa.exc.ProgrammingError as exc:  # insufficient_privilege: a role the platform administers
        savepoint.rollback()
        if getattr(exc.orig, "sqlstate", None) != "42501":
            raise
        return "kept"
    savepoint.commit()
    return "password set"


def _grant(conn: Connection, role: str) -> None:
    quoted, schema = _quote(conn, role), _quote(conn, SCHEMA)
    database = _quote(conn, conn.execute(sa.text("SELECT current_database()")).scalar_one())
    for statement in (
        f"GRANT CONNECT ON DATABASE {database} TO {quoted}",
        f"GRANT USAGE ON SCHEMA {schema} TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {quoted}",
        f"REVOKE ALL ON TABLE {schema}.alembic_version FROM {quoted}",  # the migration ledger is the owner's
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {quoted}",
        # Tables and sequences that later migrations (run by this owner) create.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {quoted}",
    ):
        conn.execute(sa.text(statement))


def excess_privileges(conn: Connection, role: str) -> list[str]:
    """What the role can do beyond rows: empty for a least-privilege app role."""
    row = conn.execute(
        sa.text(
            "SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls,"
            " has_schema_privilege(r.oid, :schema, 'CREATE'),"
            " has_database_privilege(r.oid, current_database(), 'CREATE'),"
            " EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            "         WHERE n.nspname = :schema AND c.relowner = r.oid),"
            " ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
            "       WHERE m.member = r.oid ORDER BY 1)"
            " FROM pg_roles r WHERE r.rolname = :role"
        ),
        {"schema": SCHEMA, "role": role},
    ).one()
    flags = (
        "superuser",
        "createrole",
        "createdb",
        "bypassrls",
        f"create on schema {SCHEMA}",
        "create on the database",
        f"owns objects in {SCHEMA}",
    )
    found = [flag for flag, value in zip(flags, row[:7], strict=True) if value]
    return found + [f"member of {group}" for group in row[7]]


def ensure_app_role(conn: Connection, role: str, password: str | None) -> None:
    """Idempotent: run by the owner after every upgrade (in the caller's transaction)."""
    action = _ensure_login(conn, role, password)
    _grant(conn, role)
    excess = excess_privileges(conn, role)
    if excess:
        # Granted outside the migrations (e.g. a platform-created user): the grants above cannot take it away.
        log.warning("app_role_excess_privileges", role=role, privileges=excess)
    log.info("app_role_granted", role=role, login=action)
