"""`ai-service reindex`: re-embed every document with the configured EMBEDDING_PROVIDER/EMBEDDING_DIM."""

from __future__ import annotations

import sqlalchemy as sa

from .db import documents, embedding_column_type, normalise_url
from .jobs import process_document
from .logs import get_logger
from .services import Services
from .settings import Settings

log = get_logger("ai_service.reindex")


def _resize_vectors(conn: sa.Connection, dim: int) -> bool:
    """Change the column width when EMBEDDING_DIM changed (needs the table owner: MIGRATE_DATABASE_URL)."""
    current = embedding_column_type(conn)
    if current == f"vector({dim})":
        return False
    conn.execute(sa.text("DROP INDEX IF EXISTS chunks_embedding_hnsw"))
    conn.execute(sa.text("DELETE FROM chunks"))
    conn.execute(sa.text(f"ALTER TABLE chunks ALTER COLUMN embedding TYPE vector({int(dim)})"))
    conn.execute(sa.text("CREATE INDEX chunks_embedding_hnsw ON chunks USING hnsw (embedding vector_cosine_ops)"))
    log.info("vector_width_changed", old=current, new=f"vector({dim})")
    return True


def reindex(settings: Settings, *, inline: bool = False) -> int:
    admin = sa.create_engine(
        normalise_url(settings.migrate_database_url or settings.database_url),
        poolclass=sa.NullPool,
    )
    with admin.begin() as conn:
        _resize_vectors(conn, settings.embedding_dim)
        ids = (
            conn.execute(
                documents.update()
                .where(documents.c.status.in_(("indexed", "failed")))
                .values(status="queued", error=None, updated_at=sa.func.now())
                .returning(documents.c.id)
            )
            .scalars()
            .all()
        )
    admin.dispose()
    services = Services(settings)
    for document_id in ids:
        if inline:
            process_document(document_id, services)
        else:
            services.enqueue_document(document_id)
    return len(ids)
