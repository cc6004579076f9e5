"""Document and chunk persistence: every status change is a guarded transition."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import search as search_module
from .db import chunks, documents, read_only


def create(
    conn: Connection,
    *,
    document_id: str,
    tenant: str,
    filename: str,
    content_type: str,
    size_bytes: int,
    storage_key: str,
) -> None:
    conn.execute(
        documents.insert().values(
            id=document_id,
            tenant=tenant,
            filename=filename,
            content_type=content_type,
            size_bytes=size_bytes,
            storage_key=storage_key,
            status="queued",
        )
    )


def get(engine: Engine, document_id: str, tenant: str | None) -> sa.Row | None:
    query = sa.select(documents).where(documents.c.id == document_id)
    if tenant is not None:
        query = query.where(documents.c.tenant == tenant)
    with engine.connect() as conn:
        return read_only(conn).execute(query).first()


def delete(engine: Engine, document_id: str, tenant: str) -> sa.Row | None:
    """Remove the row (chunks cascade); returns it so the caller can remove the object and job."""
    with engine.begin() as conn:
        return conn.execute(
            documents.delete()
            .where(documents.c.id == document_id, documents.c.tenant == tenant)
            .returning(documents.c.storage_key)
        ).first()


def start_processing(engine: Engine, document_id: str) -> sa.Row | None:
    """queued|processing|failed -> processing. None when the document is gone or already indexed."""
    with engine.begin() as conn:
        return conn.execute(
            documents.update()
            .where(
                documents.c.id == document_id,
                documents.c.status.in_(("queued", "processing", "failed")),
            )
            .values(status="processing", error=None, updated_at=sa.func.now())
            .returning(documents.c.tenant, documents.c.storage_key, documents.c.content_type)
        ).first()


def store_chunks(
    engine: Engine,
    document_id: str,
    tenant: str,
    texts: Sequence[str],
    vectors: Sequence[Sequence[float]],
) -> bool:
    """Replace the document's chunks and mark it indexed, in one transaction.

    Delete-then-insert under the row lock makes a retried job idempotent: however many
    attempts ran, the document ends with exactly one set of chunks. False when the document
    was deleted or finished by another attempt meanwhile.
    """
    with engine.begin() as conn:
        status = conn.execute(
            sa.select(documents.c.status).where(documents.c.id == document_id).with_for_update()
        ).scalar()
        if status != "processing":
            return False
        conn.execute(chunks.delete().where(chunks.c.document_id == document_id))
        if texts:
            conn.execute(
                chunks.insert(),
                [
                    {
                        "document_id": document_id,
                        "tenant": tenant,
                        "ordinal": i,
                        "content": t,
                        "embedding": list(v),
                    }
                    for i, (t, v) in enumerate(zip(texts, vectors, strict=True))
                ],
            )
        conn.execute(
            documents.update().where(documents.c.id == document_id).values(status="indexed", updated_at=sa.func.now())
        )
        return True


def mark_failed(engine: Engine, document_id: str, error: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            documents.update()
            .where(
                documents.c.id == document_id,
                documents.c.status.in_(("queued", "processing")),
            )
            .values(status="failed", error=error[:500], updated_at=sa.func.now())
        )


def search(engine: Engine, tenant: str, vector: Sequence[float], k: int) -> list[dict]:
    """Best chunk per document, nearest first, from the tenant's chunks only (see ai_service.search)."""
    return search_module.search(engine, tenant, vector, k)
