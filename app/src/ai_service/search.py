"""Tenant-correct nearest-chunk search over one shared `chunks` table.

An HNSW scan with `WHERE tenant = …` applied after it only sees the `hnsw.ef_search` nearest
chunks of *every* tenant: when another tenant crowds the neighbourhood (thousands of near-identical
chunks), the asking tenant's chunks fall out of the candidate list, or out of the graph's reach.
So each query picks a plan from facts about the asking tenant (cached per process for a minute):

- `exact`: the tenant is small (chunks × dims within EXACT_SCAN_MAX_FLOATS). Its rows are read
  through the `chunks_tenant` B-tree and ranked exactly, best chunk per document, in SQL. Other
  tenants' data cannot change the answer, however much of it there is.
- `own_index`: the tenant has its own partial HNSW index (`ai-service index-tenants` builds one
  for every tenant past the exact budget); the planner picks it for `WHERE tenant = :t`, and no
  other tenant's vectors are in that graph. `ef_search` is sized from k.
- `shared_index`: the tenant is most of the table (share ≥ SHARED_INDEX_MIN_SHARE), so the shared
  graph's neighbourhoods are mostly its own; `ef_search` is sized from k and the share.
- `iterative`: pgvector ≥ 0.8 only: the shared index with `hnsw.iterative_scan`, which keeps
  scanning until enough rows pass the tenant filter (bounded by `hnsw.max_scan_tuples`).
- otherwise `exact` again: correct, with a cost linear in the tenant's chunks, until its own index
  exists.

The HNSW plans over-fetch chunks (RESULT_CHUNKS_PER_DOCUMENT × k) and keep the best chunk per
document; the exact plan does that in SQL, so k documents come back whenever the tenant has k.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .db import read_only

# Exact ranking reads every chunk of the tenant: ~0.7 µs per 384-float vector on the 2-core
# bench machine, so 1M floats (≈2600 chunks at 384 dims, 650 at 1536) cost ~2 ms of one core;
# larger tenants get their own HNSW index (ai_service.tenant_indexes).
EXACT_SCAN_MAX_FLOATS = 1_000_000
# Below this share of the table, the shared graph's neighbourhoods belong to other tenants.
SHARED_INDEX_MIN_SHARE = 0.5
# pgvector caps hnsw.ef_search at 1000; an HNSW scan returns at most ef_search rows.
EF_SEARCH_MIN, EF_SEARCH_MAX = 40, 1000
# Chunks fetched per wanted document on the HNSW plans (several chunks of one document are close).
RESULT_CHUNKS_PER_DOCUMENT = 4
# pgvector >= 0.8: how many tuples an iterative scan may visit before it gives up.
ITERATIVE_MAX_SCAN_TUPLES = 50_000
FACTS_TTL_SECONDS = 60.0

Strategy = Literal["exact", "own_index", "shared_index", "iterative"]


@dataclass(frozen=True)
class TenantFacts:
    chunks: int  # the tenant's chunks
    table_chunks: float | None  # planner estimate of all chunks (None before the first ANALYZE)
    own_index: bool  # a valid partial HNSW index WHERE tenant = '<tenant>' exists
    pgvector: tuple[int, ...]  # installed extension version, e.g. (0, 6, 2)
    dim: int  # vector width of the column

    @property
    def share(self) -> float | None:
        if not self.table_chunks or self.table_chunks <= 0:
            return None
        return min(1.0, self.chunks / max(self.table_chunks, self.chunks))

    @property
    def iterative_scans(self) -> bool:
        return self.pgvector >= (0, 8, 0)


@dataclass(frozen=True)
class Plan:
    strategy: Strategy
    fetch: int  # rows the statement returns at most
    settings: dict[str, str] = field(default_factory=dict)  # hnsw.* session settings the statement needs

    @property
    def sql(self) -> str:
        return EXACT_SQL if self.strategy == "exact" else ITERATIVE_SQL if self.strategy == "iterative" else HNSW_SQL


# Best chunk per document, ranked exactly over the tenant's rows only (B-tree on tenant; the
# ORDER BY starts with document_id, so no vector index can serve it).
EXACT_SQL = """
WITH best AS (
    SELECT id, distance FROM (
        SELECT DISTINCT ON (document_id) id, embedding <=> CAST(:q AS vector) AS distance
        FROM chunks WHERE tenant = :tenant
        ORDER BY document_id, distance
    ) per_document
    ORDER BY distance LIMIT :fetch
)
SELECT c.document_id, c.content, best.distance
FROM best JOIN chunks c ON c.id = best.id
ORDER BY best.distance
"""

# Nearest chunks through an HNSW index (the tenant's own partial index when it exists).
HNSW_SQL = """
SELECT document_id, content, embedding <=> CAST(:q AS vector) AS distance
FROM chunks WHERE tenant = :tenant
ORDER BY embedding <=> CAST(:q AS vector) LIMIT :fetch
"""

# Iterative scans in relaxed order return rows slightly out of order: re-sort them (pgvector docs).
ITERATIVE_SQL = f"""
WITH nearest AS MATERIALIZED ({HNSW_SQL})
SELECT * FROM nearest ORDER BY distance
"""

FACTS_SQL = sa.text(
    """
SELECT
    (SELECT count(*) FROM chunks WHERE tenant = :tenant) AS chunks,
    (SELECT reltuples FROM pg_class WHERE oid = 'chunks'::regclass) AS table_chunks,
    EXISTS (
        SELECT 1 FROM pg_index i
        WHERE i.indrelid = 'chunks'::regclass AND i.indisvalid AND i.indpred IS NOT NULL
          AND pg_get_expr(i.indpred, i.indrelid) = format('(tenant = %L::text)', CAST(:tenant AS text))
    ) AS own_index,
    (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS pgvector,
    (SELECT atttypmod FROM pg_attribute WHERE attrelid = 'chunks'::regclass AND attname = 'embedding') AS dim
"""
)


def _version(text: str | None) -> tuple[int, ...]:
    parts = []
    for part in (text or "0").split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


class _FactsCache:
    def __init__(self, ttl: float):
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries: dict[tuple[int, str], tuple[float, TenantFacts]] = {}

    def get(self, engine: Engine, tenant: str) -> TenantFacts:
        key = (id(engine), tenant)
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry and entry[0] > now:
            return entry[1]
        facts = load_facts(engine, tenant)
        with self._lock:
            if len(self._entries) > 4096:
                self._entries.clear()
            self._entries[key] = (now + self.ttl, facts)
        return facts

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def load_facts(engine: Engine, tenant: str) -> TenantFacts:
    with engine.connect() as conn:
        row = read_only(conn).execute(FACTS_SQL, {"tenant": tenant}).one()
    table_chunks = float(row.table_chunks) if row.table_chunks is not None and row.table_chunks >= 0 else None
    return TenantFacts(
        chunks=int(row.chunks),
        table_chunks=table_chunks,
        own_index=bool(row.own_index),
        pgvector=_version(row.pgvector),
        dim=int(row.dim) if row.dim and row.dim > 0 else 1536,
    )


FACTS = _FactsCache(FACTS_TTL_SECONDS)


def plan(facts: TenantFacts, k: int) -> Plan:
    """The cheapest plan that still answers from the tenant's own nearest chunks."""
    fetch = k * RESULT_CHUNKS_PER_DOCUMENT
    if facts.chunks * facts.dim <= EXACT_SCAN_MAX_FLOATS:
        return Plan("exact", k)
    if facts.own_index:
        return Plan("own_index", fetch, {"hnsw.ef_search": str(_ef(fetch, 1.0))})
    share = facts.share
    if share is not None and share >= SHARED_INDEX_MIN_SHARE:
        return Plan("shared_index", fetch, {"hnsw.ef_search": str(_ef(fetch, share))})
    if facts.iterative_scans:
        return Plan(
            "iterative",
            fetch,
            {
                "hnsw.iterative_scan": "relaxed_order",
                "hnsw.ef_search": str(_ef(fetch, 1.0)),
                "hnsw.max_scan_tuples": str(ITERATIVE_MAX_SCAN_TUPLES),
            },
        )
    return Plan("exact", k)


def _ef(fetch: int, share: float) -> int:
    """Candidates to keep so that `fetch` of them are expected to be the tenant's, with 2× headroom."""
    return max(EF_SEARCH_MIN, min(EF_SEARCH_MAX, math.ceil(2 * fetch / share)))


def vector_literal(vector: Sequence[float]) -> str:
    return "[" + ",".join(map(repr, map(float, vector))) + "]"


# pgvector's defaults, restored on a pooled connection when the next plan does not set a value.
GUC_DEFAULTS = {"hnsw.ef_search": "40", "hnsw.iterative_scan": "off", "hnsw.max_scan_tuples": "20000"}


def settings_to_apply(current: dict[str, str], wanted: dict[str, str]) -> dict[str, str]:
    """Session settings to change so a connection that has `current` runs a plan that needs `wanted`.

    Plans set hnsw.* per session, remembered per pooled connection: a steady stream of queries
    with the same k and plan costs one round trip, not BEGIN + SET LOCAL + query + COMMIT.
    """
    changes = {name: value for name, value in wanted.items() if current.get(name) != value}
    for name, value in current.items():
        if name not in wanted and value != GUC_DEFAULTS[name]:
            changes[name] = GUC_DEFAULTS[name]
    return changes


def settings_sql(changes: dict[str, str]) -> tuple[str, dict[str, str]]:
    calls = ", ".join(f"set_config(:n{i}, :v{i}, false)" for i in range(len(changes)))
    params = {}
    for i, (name, value) in enumerate(changes.items()):
        params[f"n{i}"], params[f"v{i}"] = name, value
    return f"SELECT {calls}", params


def run(conn: sa.Connection, chosen: Plan, tenant: str, vector: Sequence[float]) -> list[sa.Row]:
    """Execute a plan on an autocommit connection, first adjusting its hnsw.* session settings."""
    current: dict[str, str] = conn.connection.info.setdefault("ai_service.search", {})
    changes = settings_to_apply(current, chosen.settings)
    if changes:
        sql, params = settings_sql(changes)
        conn.execute(sa.text(sql), params)
        current.update(changes)
    return list(
        conn.execute(sa.text(chosen.sql), {"q": vector_literal(vector), "tenant": tenant, "fetch": chosen.fetch})
    )


def search(engine: Engine, tenant: str, vector: Sequence[float], k: int) -> list[dict]:
    """Up to k documents of `tenant`, best chunk first, by cosine similarity."""
    chosen = plan(FACTS.get(engine, tenant), k)
    with engine.connect() as conn:
        rows = run(read_only(conn), chosen, tenant, vector)
    results: dict[str, dict] = {}
    for row in rows:
        document_id = str(row.document_id)
        if document_id not in results:
            results[document_id] = {
                "document_id": document_id,
                "score": round(1 - float(row.distance), 6),
                "snippet": row.content[:300],
            }
            if len(results) == k:
                break
    return list(results.values())
