"""Document and chunk persistence: every status change is a guarded transition.

Lifecycle (the order of writes is what makes a crash or an outage between steps recoverable):
  pending  -> the row exists, the object may not yet (upload in progress; never visible)
  queued   -> the object is stored; a job will index it (the upload answered 202)
  processing -> indexed | failed
  deleting -> DELETE started; the object goes first, then the row (never visible)
reconcile.py finishes or undoes whatever a crash left in pending, queued/processing or deleting.
"""

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
            status="pending",
        )
    )


VISIBLE = ("queued", "processing", "indexed", "failed")


def mark_queued(engine: Engine, document_id: str) -> bool:
    """pending -> queued once the object is stored. False when the reconciler already gave up on the upload."""
    with engine.begin() as conn:
        return (
            conn.execute(
                documents.update()
                .where(documents.c.id == document_id, documents.c.status == "pending")
                .values(status="queued", updated_at=sa.func.now())
            ).rowcount
            == 1
        )


def discard_pending(engine: Engine, document_id: str) -> bool:
    """Remove the row of an upload that did not complete (its object must already be gone)."""
    with engine.begin() as conn:
        return (
            conn.execute(
                documents.delete().where(documents.c.id == document_id, documents.c.status == "pending")
            ).rowcount
            == 1
        )


def get(engine: Engine, document_id: str, tenant: str | None) -> sa.Row | None:
    query = sa.select(documents).where(documents.c.id == document_id, documents.c.status.in_(VISIBLE))
    if tenant is not None:
        query = query.where(documents.c.tenant == tenant)
    with engine.connect() as conn:
        return read_only(conn).execute(query).first()


def begin_delete(engine: Engine, document_id: str, tenant: str) -> sa.Row | None:
    """Any visible status (or an unfinished deletion) -> deleting; returns (status before, storage_key).

    Nothing is removed yet: the caller deletes the object, then `finish_delete` the row. A crash
    in between leaves `deleting`, which the reconciler completes.
    """
    with engine.begin() as conn:
        row = conn.execute(
            sa.select(documents.c.status, documents.c.storage_key)
            .where(
                documents.c.id == document_id,
                documents.c.tenant == tenant,
                documents.c.status.in_((*VISIBLE, "deleting")),
            )
            .with_for_update()
        ).first()
        if row is not None:
            conn.execute(
                documents.update()
                .where(documents.c.id == document_id)
                .values(status="deleting", updated_at=sa.func.now())
            )
        return row


def restore(engine: Engine, document_id: str, status: str) -> None:
    """Undo begin_delete (the object could not be deleted, so the document stays as it was)."""
    with engine.begin() as conn:
        conn.execute(
            documents.update()
            .where(documents.c.id == document_id, documents.c.status == "deleting")
            .values(status=status, updated_at=sa.func.now())
        )


def finish_delete(engine: Engine, document_id: str) -> None:
    """Remove the row of a document whose object is gone (chunks cascade)."""
    with engine.begin() as conn:
        conn.execute(documents.delete().where(documents.c.id == document_id, documents.c.status == "deleting"))


def stale(engine: Engine, statuses: Sequence[str], older_than_seconds: float, limit: int = 500) -> list[sa.Row]:
    """Documents in one of `statuses` not touched for `older_than_seconds` (database clock), oldest first."""
    with engine.connect() as conn:
        return list(
            read_only(conn).execute(
                sa.select(documents.c.id, documents.c.status, documents.c.storage_key)
                .where(
                    documents.c.status.in_(statuses),
                    documents.c.updated_at
                    < sa.func.now() - sa.func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds),
                )
                .order_by(documents.c.updated_at)
                .limit(limit)
            )
        )


def touch(engine: Engine, document_id: str) -> None:
    """Restart the reconciler's grace period for a document it just re-enqueued."""
    with engine.begin() as conn:
        conn.execute(
            documents.update()
            .where(documents.c.id == document_id, documents.c.status.in_(("queued", "processing")))
            .values(updated_at=sa.func.now())
        )


def existing_ids(engine: Engine, ids: Sequence[str]) -> set[str]:
    with engine.connect() as conn:
        return set(read_only(conn).execute(sa.select(documents.c.id).where(documents.c.id.in_(list(ids)))).scalars())


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
