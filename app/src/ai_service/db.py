"""Postgres access: libpq URL normalisation, engine, and the schema tables (SQLAlchemy Core)."""

from __future__ import annotations

from functools import lru_cache

import sqlalchemy as sa
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import Engine, make_url

metadata = sa.MetaData()

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", UUID(as_uuid=False), primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("content_type", sa.Text, nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("storage_key", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column(
        "created_at",
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=sa.func.now(),
    ),
    sa.Column(
        "updated_at",
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=sa.func.now(),
    ),
)

# The vector width is fixed per deployment (EMBEDDING_DIM); queries bind vectors, so the
# column type here only needs to be "a vector".
chunks = sa.Table(
    "chunks",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "document_id",
        UUID(as_uuid=False),
        sa.ForeignKey("documents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("ordinal", sa.Integer, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("embedding", Vector(), nullable=False),
)


def embedding_column_type(conn: sa.Connection) -> str | None:
    """e.g. "vector(384)"; None before `ai-service migrate` created the table."""
    return conn.execute(
        sa.text(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = to_regclass('chunks') AND attname = 'embedding'"
        )
    ).scalar()


def read_only(conn: sa.Connection) -> sa.Connection:
    """Autocommit for single-statement reads: no BEGIN/ROLLBACK round trips around them."""
    return conn.execution_options(isolation_level="AUTOCOMMIT")


def normalise_url(url: str) -> sa.URL:
    """Any libpq URL (postgres://, postgresql://, ?sslmode=, ?host=/socket) -> SQLAlchemy psycopg 3 URL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"DATABASE_URL must be a postgresql:// URL, got scheme {parsed.drivername!r}")
    # libpq query options (sslmode, host=/path, connect_timeout, ...) pass through psycopg unchanged.
    return parsed.set(drivername="postgresql+psycopg")


@lru_cache(maxsize=4)
def get_engine(
    url: str,
    pool_size: int = 10,
    *,
    connect_timeout: int = 2,
    statement_timeout_ms: int = 5000,
) -> Engine:
    engine = sa.create_engine(
        normalise_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        # No pre-ping: it costs a round trip per checkout. A dead connection fails one request
        # (503, see app.DEPENDENCY_ERRORS) and SQLAlchemy then invalidates the whole pool.
        pool_recycle=1800,
        # Never render statement parameters (document text) into logs or exception messages.
        hide_parameters=True,
        # A connection attempt, and a silent peer (TCP keepalives, unacknowledged data), are bounded;
        # a statement is bounded server-side (statement_timeout below). See timeouts.py.
        connect_args={
            "connect_timeout": connect_timeout,
            "application_name": "ai-service",
            "prepare_threshold": None,
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "tcp_user_timeout": statement_timeout_ms + 5000,
        },
    )

    @sa.event.listens_for(engine, "connect")
    def _statement_timeout(dbapi_connection, _record) -> None:
        # A SET (not libpq `options`): poolers and proxies that reject startup options accept it.
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(statement_timeout_ms)}")
        dbapi_connection.commit()

    return engine
