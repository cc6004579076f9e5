"""Search stays tenant-correct when another tenant floods the shared chunks table (real Postgres + pgvector)."""

from __future__ import annotations

import math
import random
import uuid

import psycopg
import pytest
import sqlalchemy as sa
from ai_service import documents, search, tenant_indexes
from ai_service.db import get_engine
from ai_service.embeddings import HashingEmbedder
from ai_service.extract import chunk_text
from ai_service.migrate import migrate
from ai_service.settings import Settings

pytestmark = pytest.mark.system

DIM = 64
WORDS = (
    "glacier moraine basalt lava tide moon harbor invoice ledger revenue neuron synapse protein enzyme "
    "orbit comet nebula turbine voltage circuit kernel thread socket packet router cipher vaccine "
    "antibody climate monsoon drought harvest wheat barley copper nickel cobalt quartz granite delta "
    "estuary reef coral plankton whale falcon sparrow violin sonata opera canvas fresco mosaic"
).split()


@pytest.fixture
def database(postgres):
    name = postgres.create_database()
    settings = Settings(
        database_url=postgres.app_url(name), migrate_database_url=postgres.admin_url(name), embedding_dim=DIM
    )
    migrate(settings)
    search.FACTS.clear()
    yield settings
    search.FACTS.clear()


def ingest(engine, embedder, tenant: str, text: str) -> str:
    """The worker's path: row, claim, chunk (duplicates collapsed), embed, store."""
    document_id = str(uuid.uuid4())
    with engine.begin() as conn:
        documents.create(
            conn,
            document_id=document_id,
            tenant=tenant,
            filename="doc.txt",
            content_type="text/plain",
            size_bytes=len(text),
            storage_key=f"documents/{document_id}",
        )
    assert documents.mark_queued(engine, document_id)  # the object is stored: the upload's 202
    assert documents.start_processing(engine, document_id) is not None
    texts = chunk_text(text)
    assert documents.store_chunks(engine, document_id, tenant, texts, embedder.embed(texts))
    return document_id


def flood(admin_url: str, tenant: str, count: int, rng: random.Random) -> None:
    """`count` near-identical chunks (one passage plus noise) in one document, by COPY.

    The shared HNSW index is rebuilt after the COPY (as a bulk load would): inserting 10k rows
    into a live graph one by one takes ~15 s here, the rebuilt graph holds the same duplicates.
    """
    base = HashingEmbedder(DIM).embed([" ".join(random.Random(99).choices(WORDS, k=120))])[0]
    document_id = str(uuid.uuid4())
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO documents (id, tenant, filename, content_type, size_bytes, storage_key, status)"
            " VALUES (%s, %s, 'flood.txt', 'text/plain', 1, %s, 'indexed')",
            (document_id, tenant, f"documents/{document_id}"),
        )
        conn.execute("DROP INDEX chunks_embedding_hnsw")
        with (
            conn.cursor() as cur,
            cur.copy("COPY chunks (document_id, tenant, ordinal, content, embedding) FROM STDIN") as copy,
        ):
            for i in range(count):
                noisy = [x + rng.gauss(0, 0.01) for x in base]
                norm = math.sqrt(sum(x * x for x in noisy))
                copy.write_row((document_id, tenant, i, f"flood {i}", search.vector_literal([x / norm for x in noisy])))
        conn.execute("CREATE INDEX chunks_embedding_hnsw ON chunks USING hnsw (embedding vector_cosine_ops)")
        conn.execute("ANALYZE chunks")


def exact_text_queries(engine, embedder, tenant: str, docs: dict[str, str], k: int = 10) -> tuple[int, list[int]]:
    """(queries whose own document ranks first, result count per query) with query = the document's text."""
    hits, counts = 0, []
    for document_id, text in docs.items():
        results = search.search(engine, tenant, embedder.embed([text])[0], k)
        hits += bool(results) and results[0]["document_id"] == document_id
        counts.append(len(results))
    return hits, counts


def test_a_flooding_tenant_does_not_change_another_tenants_results(database, monkeypatch):
    engine = get_engine(database.database_url)
    embedder = HashingEmbedder(DIM)
    rng = random.Random(5)
    quiet = {}
    for _ in range(40):
        text = " ".join(rng.choices(WORDS, k=rng.randint(20, 120)))
        quiet[ingest(engine, embedder, "quiet", text)] = text
    for _ in range(400):  # the quiet tenant's other documents: 440 of its chunks share the graph
        ingest(engine, embedder, "quiet", " ".join(rng.choices(WORDS, k=rng.randint(20, 120))))
    loud_doc = ingest(engine, embedder, "loud", "basalt lava moraine glacier tide " * 20)

    before_hits, before_counts = exact_text_queries(engine, embedder, "quiet", quiet)
    assert before_hits == 40
    assert before_counts == [10] * 40

    flood(database.migrate_database_url, "loud", 10_000, rng)
    search.FACTS.clear()  # a minute later every process sees the new sizes

    after_hits, after_counts = exact_text_queries(engine, embedder, "quiet", quiet)
    assert after_hits >= 39, f"recall@1 {after_hits}/40 after the flood"
    assert after_counts == before_counts
    # The flooding tenant still finds its own documents, and only its own.
    loud = search.search(engine, "loud", embedder.embed(["basalt lava moraine glacier"])[0], 10)
    assert loud_doc in [r["document_id"] for r in loud]
    with engine.connect() as conn:
        quiet_ids = set(conn.execute(sa.text("SELECT id::text FROM documents WHERE tenant = 'quiet'")).scalars())
    assert not quiet_ids & {r["document_id"] for r in loud}
    assert search.plan(search.load_facts(engine, "quiet"), 10).strategy == "exact"

    # Both tenants past the exact budget: each gets its own graph, and queries walk only that one.
    monkeypatch.setattr(search, "EXACT_SCAN_MAX_FLOATS", 20_000)
    changes = tenant_indexes.ensure_tenant_indexes(database)
    assert sorted(changes.created) == sorted(tenant_indexes.index_name(t) for t in ("quiet", "loud"))
    search.FACTS.clear()
    chosen = search.plan(search.load_facts(engine, "quiet"), 10)
    assert chosen.strategy == "own_index"
    with engine.connect() as conn, conn.begin():
        for name, value in chosen.settings.items():
            conn.execute(sa.text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
        explain = conn.execute(
            sa.text("EXPLAIN " + chosen.sql),
            {"q": search.vector_literal(embedder.embed(["lava"])[0]), "tenant": "quiet", "fetch": chosen.fetch},
        ).scalars()
        assert tenant_indexes.index_name("quiet") in "\n".join(explain)
    own_hits, own_counts = exact_text_queries(engine, embedder, "quiet", quiet)
    assert own_hits >= 39 and own_counts == before_counts
    assert tenant_indexes.ensure_tenant_indexes(database).created == []  # idempotent


def test_repeated_passages_are_stored_once(database):
    engine = get_engine(database.database_url)
    embedder = HashingEmbedder(DIM)
    document_id = ingest(engine, embedder, "t", "the same sentence again " * 2000)
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT count(*), count(DISTINCT content) FROM chunks WHERE document_id = :d"), {"d": document_id}
        ).one()
    assert stored[0] == stored[1] <= 5  # 48 kB of one repeated sentence: a handful of distinct windows


def test_plans_follow_tenant_size_share_and_pgvector_version():
    def facts(chunks, table, own=False, version=(0, 6, 2)):
        return search.TenantFacts(chunks=chunks, table_chunks=table, own_index=own, pgvector=version, dim=384)

    assert search.plan(facts(2_000, 1e6), 10).strategy == "exact"  # small: exact whatever the share
    assert search.plan(facts(50_000, 1e6, own=True), 10).settings == {"hnsw.ef_search": "80"}
    assert search.plan(facts(50_000, 60_000), 5).settings == {"hnsw.ef_search": "48"}  # 2 x 20 / 0.83
    assert search.plan(facts(50_000, 1e6), 10).strategy == "exact"  # large, small share, 0.6: exact
    assert search.plan(facts(50_000, 1e6, version=(0, 8, 0)), 10).strategy == "iterative"
    assert search.plan(facts(50_000, None), 10).strategy == "exact"  # never analyzed: no share known

    # Session settings move only when the plan changes, and return to pgvector's defaults.
    assert search.settings_to_apply({}, {"hnsw.ef_search": "80"}) == {"hnsw.ef_search": "80"}
    assert search.settings_to_apply({"hnsw.ef_search": "80"}, {"hnsw.ef_search": "80"}) == {}
    assert search.settings_to_apply({"hnsw.ef_search": "80"}, {}) == {"hnsw.ef_search": "40"}
