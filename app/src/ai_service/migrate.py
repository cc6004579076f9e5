"""`ai-service migrate`: Alembic upgrade under a Postgres advisory lock, then the app role and its grants (roles.py)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, make_url

from .db import normalise_url
from .logs import get_logger
from .roles import ensure_app_role
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
                app = make_url(normalise_url(settings.database_url))
                owner = conn.execute(sa.text("SELECT current_user")).scalar()
                if settings.migrate_database_url and app.username and app.username != owner:
                    ensure_app_role(conn, app.username, app.password)
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
