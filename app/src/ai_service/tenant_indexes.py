"""Own HNSW graphs for large tenants: `CREATE INDEX CONCURRENTLY … WHERE tenant = '<tenant>'`.

A tenant past the exact-scan budget (ai_service.search.EXACT_SCAN_MAX_FLOATS) gets a partial HNSW
index holding only its chunks. The planner picks it for `WHERE tenant = :t` (bound parameters are
planned as constants), so no other tenant's vectors — however many, however alike — sit in the graph
that tenant's queries walk. Needs the table owner (MIGRATE_DATABASE_URL): `ai-service migrate` runs
this after the schema migrations, and `ai-service index-tenants` runs it alone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import sqlalchemy as sa

from . import search
from .db import normalise_url
from .logs import get_logger
from .settings import Settings

PREFIX = "chunks_hnsw_tenant_"
log = get_logger("ai_service.tenant_indexes")


@dataclass
class Changes:
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def index_name(tenant: str) -> str:
    return PREFIX + hashlib.sha256(tenant.encode()).hexdigest()[:16]


def _literal(conn: sa.Connection, value: str) -> str:
    return sa.literal(value, sa.Text).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}).string


def ensure_tenant_indexes(settings: Settings) -> Changes:
    """Create missing (and rebuild invalid) per-tenant indexes; drop those of tenants now small."""
    engine = sa.create_engine(
        normalise_url(settings.migrate_database_url or settings.database_url),
        poolclass=sa.NullPool,
        isolation_level="AUTOCOMMIT",  # CREATE INDEX CONCURRENTLY cannot run in a transaction
    )
    changes = Changes()
    try:
        with engine.connect() as conn:
            dim = conn.execute(
                sa.text(
                    "SELECT atttypmod FROM pg_attribute WHERE attrelid = 'chunks'::regclass AND attname = 'embedding'"
                )
            ).scalar()
            threshold = search.EXACT_SCAN_MAX_FLOATS // max(int(dim or 0), 1)
            large = set(
                conn.execute(
                    sa.text("SELECT tenant FROM chunks GROUP BY tenant HAVING count(*) > :n"), {"n": threshold}
                ).scalars()
            )
            existing = {
                row.name: row.valid
                for row in conn.execute(
                    sa.text(
                        "SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i"
                        " JOIN pg_class c ON c.oid = i.indexrelid"
                        " WHERE i.indrelid = 'chunks'::regclass AND c.relname LIKE :prefix"
                    ),
                    {"prefix": PREFIX + "%"},
                )
            }
            wanted = {index_name(tenant): tenant for tenant in large}
            for name, valid in existing.items():
                if name not in wanted or not valid:
                    conn.execute(sa.text(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"'))
                    if name not in wanted:
                        changes.dropped.append(name)
            for name, tenant in sorted(wanted.items()):
                if existing.get(name):
                    continue
                conn.execute(
                    sa.text(
                        f'CREATE INDEX CONCURRENTLY "{name}" ON chunks USING hnsw (embedding vector_cosine_ops)'
                        f" WHERE tenant = {_literal(conn, tenant)}"
                    )
                )
                changes.created.append(name)
    finally:
        engine.dispose()
    if changes.created or changes.dropped:
        log.info("tenant_indexes", created=len(changes.created), dropped=len(changes.dropped))
    return changes
