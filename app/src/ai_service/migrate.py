"""`ai-service migrate`: Alembic upgrade under a Postgres advisory lock, then grants for the app role."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, make_url

from .db import normalise_url
from .logs import get_logger
from .settings import Settings

# Any fixed 64-bit number: every `migrate` (several replicas, parallel deploys) queues on it.
ADVISORY_LOCK_ID = 0x61692D73657276  # "ai-serv"
log = get_logger("ai_service.migrate")


def alembic_config(connection: Connection, embedding_dim: int) -> Config:
    config = Config()
    config.set_main_option("script_location", "ai_service:migrations")
    config.attributes["connection"] = connection
    config.attributes["embedding_dim"] = embedding_dim
    return config


def _grant_app_role(conn: Connection, role: str) -> None:
    """The API/worker role only reads and writes rows; the admin role owns the schema."""
    quoted = conn.dialect.identifier_preparer.quote(role)
    for statement in (
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
    ):
        conn.execute(sa.text(statement))


def migrate(settings: Settings) -> str:
    """Apply pending migrations; returns the revision now at head. Safe to run concurrently."""
    url = settings.migrate_database_url or settings.database_url
    engine = sa.create_engine(normalise_url(url), poolclass=sa.NullPool, connect_args={"connect_timeout": 10})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:id)"), {"id": ADVISORY_LOCK_ID})
            conn.commit()
            try:
                command.upgrade(alembic_config(conn, settings.embedding_dim), "head")
                conn.commit()
                app_user = make_url(normalise_url(settings.database_url)).username
                admin_user = conn.execute(sa.text("SELECT current_user")).scalar()
                if settings.migrate_database_url and app_user and app_user != admin_user:
                    _grant_app_role(conn, app_user)
                    conn.commit()
                revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            finally:
                conn.rollback()
                conn.execute(sa.text("SELECT pg_advisory_unlock(:id)"), {"id": ADVISORY_LOCK_ID})
                conn.commit()
    finally:
        engine.dispose()
    log.info("migrated", revision=revision)
    return revision
