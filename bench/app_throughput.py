#!/usr/bin/env python3
"""The service against what this machine can do without it — three comparisons in one run.

Starts real Redis, Postgres + pgvector (pgserver) and an S3 API (moto), loads two tenants'
chunks by COPY, runs `ai-service api` (API keys on, full middleware stack) and a *bare* app
(FastAPI, no middleware, no auth, no rate limit) side by side, and drives both with wrk:

1. overhead: GET /api/v1/documents/{id} through the service vs the bare app running the same
   lookup (ai_service.documents.get) — what auth, rate limiting, metrics, logging and headers cost;
2. search: GET /api/v1/search vs a reference endpoint that embeds the query the same way and runs
   the identical SQL (the plan the service picks for that tenant) through a bare psycopg pool;
3. recall@1 (query = a document's own text: is it first?) and recall@10 (overlap with an exact
   brute-force ranking of the tenant's documents) per tenant, before and after a third tenant
   floods the table with near-identical chunks; the query the service used before the per-tenant
   plans (HNSW, tenant filter after the scan, LIMIT 4k) is shown alongside.

    .venv/bin/python bench/app_throughput.py [--duration 5] [--chunks 10000] [--flood 15000] [--dim 384]

/health is answered by a fast path before routing and is not measured. The machine is shared:
the load average is printed with the figures.
Goals: search p99 < 50 ms at 8 connections; search >= 0.7x the reference at 32 connections;
overhead route >= 0.7x the bare app.
"""

from __future__ import annotations

import argparse
import math
import os
import queue
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = (
    "glacier moraine basalt lava tide moon harbor invoice ledger revenue neuron synapse protein enzyme "
    "orbit comet nebula turbine voltage circuit kernel thread socket packet router cipher vaccine "
    "antibody climate monsoon drought harvest wheat barley copper nickel cobalt quartz granite delta "
    "estuary reef coral plankton whale falcon sparrow violin sonata opera canvas fresco mosaic"
).split()
KEYS = {"alpha": "bench-key-alpha", "beta": "bench-key-beta", "loud": "bench-key-loud"}
BENCH_TENANT = "alpha"


# --- the bare app (baseline for 1) and the reference endpoint (baseline for 2) ---------------


def bare_app():
    """FastAPI without middleware: the same document lookup, and search as raw SQL on a psycopg pool."""
    import psycopg
    from ai_service import documents, search
    from ai_service.db import get_engine
    from ai_service.embeddings import HashingEmbedder
    from fastapi import FastAPI, HTTPException

    database_url = os.environ["DATABASE_URL"]
    engine = get_engine(database_url)
    embedder = HashingEmbedder(int(os.environ["EMBEDDING_DIM"]))
    size = 10
    pool: queue.Queue = queue.Queue()
    for _ in range(size):
        pool.put(psycopg.connect(database_url, autocommit=True, prepare_threshold=None))
    facts = search.load_facts(engine, BENCH_TENANT)
    applied: dict[int, dict[str, str]] = {}
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/documents/{document_id}")
    def get_document(document_id: uuid.UUID) -> dict:
        row = documents.get(engine, str(document_id), BENCH_TENANT)
        if row is None:
            raise HTTPException(404, "document not found")
        return {"id": row.id, "filename": row.filename, "status": row.status}

    @app.get("/search")
    def reference_search(q: str, k: int = 5) -> dict:
        vector = embedder.embed([q])[0]
        plan = search.plan(facts, k)
        sql = re.sub(r"(?<!:):(\w+)", r"%(\1)s", plan.sql)
        params = {"q": search.vector_literal(vector), "tenant": BENCH_TENANT, "fetch": plan.fetch}
        conn = pool.get()
        try:
            current = applied.setdefault(id(conn), {})
            changes = search.settings_to_apply(current, plan.settings)
            if changes:  # the service's session settings, the same way
                settings_sql, settings_params = search.settings_sql(changes)
                conn.execute(re.sub(r"(?<!:):(\w+)", r"%(\1)s", settings_sql), settings_params)
                current.update(changes)
            rows = conn.execute(sql, params).fetchall()
        finally:
            pool.put(conn)
        seen: dict[str, dict] = {}
        for document_id, content, distance in rows:
            if str(document_id) not in seen and len(seen) < k:
                seen[str(document_id)] = {
                    "document_id": str(document_id),
                    "score": round(1 - distance, 6),
                    "snippet": content[:300],
                }
        return {"results": list(seen.values())}

    @app.get("/health")
    def health() -> dict:  # only to know it is up; never measured
        return {"status": "ok"}

    return app


def serve_bare(port: int, workers: int) -> None:
    import uvicorn
    from ai_service.cli import server_options
    from ai_service.settings import Settings

    options = server_options(Settings(port=port, web_concurrency=workers))
    uvicorn.run("bench.app_throughput:bare_app", factory=True, app_dir=str(ROOT), **options)


# --- data -------------------------------------------------------------------------------------


def text(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(20, 110)))


def load_tenant(admin_url: str, tenant: str, count: int, dim: int, rng: random.Random) -> dict[str, str]:
    """`count` one-chunk documents by COPY; returns {document_id: text}."""
    import psycopg
    from ai_service.embeddings import HashingEmbedder
    from ai_service.search import vector_literal

    embedder = HashingEmbedder(dim)
    docs = {str(uuid.uuid4()): text(rng) for _ in range(count)}
    with psycopg.connect(admin_url) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY documents (id, tenant, filename, content_type, size_bytes, storage_key, status) FROM STDIN"
        ) as copy:
            for document_id in docs:
                copy.write_row(
                    (document_id, tenant, "bench.txt", "text/plain", 1, f"documents/{document_id}", "indexed")
                )
        with cur.copy("COPY chunks (document_id, tenant, ordinal, content, embedding) FROM STDIN") as copy:
            items = list(docs.items())
            for start in range(0, len(items), 500):
                batch = items[start : start + 500]
                for (document_id, body), vector in zip(batch, embedder.embed([b for _, b in batch]), strict=True):
                    copy.write_row((document_id, tenant, 0, body, vector_literal(vector)))
    return docs


def load_flood(admin_url: str, tenant: str, count: int, dim: int, rng: random.Random) -> None:
    """One document of `count` near-identical chunks (a passage plus noise), as a repetitive upload would make."""
    import psycopg
    from ai_service.embeddings import HashingEmbedder
    from ai_service.search import vector_literal

    base = HashingEmbedder(dim).embed([" ".join(random.Random(99).choices(WORDS, k=120))])[0]
    document_id = str(uuid.uuid4())
    with psycopg.connect(admin_url) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO documents (id, tenant, filename, content_type, size_bytes, storage_key, status)"
            " VALUES (%s, %s, 'flood.txt', 'text/plain', 1, %s, 'indexed')",
            (document_id, tenant, f"documents/{document_id}"),
        )
        with cur.copy("COPY chunks (document_id, tenant, ordinal, content, embedding) FROM STDIN") as copy:
            for i in range(count):
                noisy = [x + rng.gauss(0, 0.01) for x in base]
                norm = math.sqrt(sum(x * x for x in noisy))
                copy.write_row((document_id, tenant, i, f"flood {i}", vector_literal([x / norm for x in noisy])))


def drop_shared_index(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("DROP INDEX IF EXISTS chunks_embedding_hnsw")


def rebuild_shared_index(admin_url: str) -> None:
    """Bulk loads build the graph once (row-by-row inserts into a live graph are ~10x slower)."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute("DROP INDEX IF EXISTS chunks_embedding_hnsw")
        conn.execute("CREATE INDEX chunks_embedding_hnsw ON chunks USING hnsw (embedding vector_cosine_ops)")
        conn.execute("ANALYZE chunks")


# --- recall -----------------------------------------------------------------------------------

PREVIOUS_SQL = """
SELECT document_id, content, embedding <=> CAST(:q AS vector) AS distance
FROM chunks WHERE tenant = :tenant ORDER BY embedding <=> CAST(:q AS vector) LIMIT :fetch
"""
TRUTH_SQL = """
SELECT document_id::text FROM chunks WHERE tenant = :tenant
GROUP BY document_id ORDER BY min((embedding <=> CAST(:q AS vector)) + 0) LIMIT :k
"""


def recall(engine, embedder, tenant: str, docs: dict[str, str], sample: int = 40) -> dict[str, float]:
    import sqlalchemy as sa
    from ai_service import search
    from sqlalchemy.pool import NullPool

    # A fresh connection per query: the service leaves hnsw.* session settings on its pooled ones.
    plain = sa.create_engine(engine.url, poolclass=NullPool)

    picked = list(docs.items())[:sample]
    out = {"service@1": 0, "service@10": 0.0, "previous@1": 0, "previous@10": 0.0, "count": 0, "previous count": 0}
    for document_id, body in picked:
        vector = embedder.embed([body])[0]
        literal = search.vector_literal(vector)
        with plain.connect() as conn:
            truth = list(conn.execute(sa.text(TRUTH_SQL), {"tenant": tenant, "q": literal, "k": 10}).scalars())
            previous: list[str] = []
            for row in conn.execute(sa.text(PREVIOUS_SQL), {"tenant": tenant, "q": literal, "fetch": 40}):
                if str(row.document_id) not in previous:
                    previous.append(str(row.document_id))
            previous = previous[:10]
        found = [r["document_id"] for r in search.search(engine, tenant, vector, 10)]
        out["service@1"] += bool(found) and found[0] == document_id
        out["previous@1"] += bool(previous) and previous[0] == document_id
        out["service@10"] += len(set(found) & set(truth)) / max(len(truth), 1)
        out["previous@10"] += len(set(previous) & set(truth)) / max(len(truth), 1)
        out["count"] += len(found)
        out["previous count"] += len(previous)
    plain.dispose()
    n = len(picked)
    return {
        "recall@1": out["service@1"] / n,
        "recall@10": out["service@10"] / n,
        "results": out["count"] / n,
        "previous recall@1": out["previous@1"] / n,
        "previous recall@10": out["previous@10"] / n,
        "previous results": out["previous count"] / n,
    }


# --- load -------------------------------------------------------------------------------------

LUA = """
local paths = {%s}
wrk.headers["Authorization"] = "%s"
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def wrk(url: str, script: Path, *, duration: int, connections: int) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, flags=re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50%"),
        "p99": latency("99%"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def write_script(path: Path, paths: list[str], authorization: str) -> Path:
    path.write_text(LUA % (", ".join(f'"{p}"' for p in paths), authorization))
    return path


STARTED = time.monotonic()


def phase(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {text}", flush=True)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=1, help="wrk runs per case (medians are printed)")
    parser.add_argument("--chunks", type=int, default=10_000, help="chunks of the benchmarked tenant")
    parser.add_argument("--flood", type=int, default=15_000, help="near-identical chunks of the flooding tenant")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--web-concurrency", type=int, default=1)
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, args.web_concurrency)
        return
    for tool in ("wrk", "redis-server"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: apt-get install -y {tool.removesuffix('-server')}")

    import pgserver
    from ai_service import search
    from ai_service.db import get_engine
    from ai_service.embeddings import HashingEmbedder
    from ai_service.settings import Settings
    from ai_service.tenant_indexes import ensure_tenant_indexes
    from moto.server import ThreadedMotoServer

    from tests.fixtures.services import (
        APP_ROLE,
        Postgres,
        RedisServer,
        S3Server,
        ServiceRunner,
        _healthy,
        build_service_env,
        free_port,
        wait_until,
    )

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers below on `kill` too
    workdir = Path(tempfile.mkdtemp(prefix="ai-service-bench-"))
    workdir.chmod(0o755)
    redis = RedisServer(shutil.which("redis-server"), workdir)
    redis.start()
    pg = Postgres(pgserver.get_server(workdir / "pgdata", cleanup_mode="delete"))
    pg.sql(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER")
    s3_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    moto.start()
    runner = ServiceRunner(workdir)
    bare = None
    try:
        env = build_service_env(
            redis,
            pg,
            S3Server(s3_port),
            EMBEDDING_DIM=str(args.dim),
            LOG_LEVEL="INFO",
            WEB_CONCURRENCY=str(args.web_concurrency),
            API_KEYS=",".join(f"{tenant}:{key}" for tenant, key in KEYS.items()),
            RATE_LIMIT_PER_MINUTE="1000000000",
            RATE_LIMIT_GLOBAL_PER_MINUTE="1000000000",
        )
        admin = env["MIGRATE_DATABASE_URL"]
        settings = Settings(database_url=env["DATABASE_URL"], migrate_database_url=admin, embedding_dim=args.dim)
        rng = random.Random(7)
        drop_shared_index(admin)
        phase(f"loading {args.chunks} + 2000 chunks (dim {args.dim})")
        tenants = {
            BENCH_TENANT: load_tenant(admin, BENCH_TENANT, args.chunks, args.dim, rng),
            "beta": load_tenant(admin, "beta", 2000, args.dim, rng),
        }
        phase("building the shared HNSW index")
        rebuild_shared_index(admin)
        phase("per-tenant indexes")
        ensure_tenant_indexes(settings)
        phase("recall before the flood")
        engine = get_engine(env["DATABASE_URL"])
        embedder = HashingEmbedder(args.dim)
        before = {tenant: recall(engine, embedder, tenant, docs) for tenant, docs in tenants.items()}
        phase(f"flooding: {args.flood} near-identical chunks for tenant 'loud'")
        drop_shared_index(admin)
        load_flood(admin, "loud", args.flood, args.dim, rng)
        rebuild_shared_index(admin)
        phase("per-tenant indexes")
        ensure_tenant_indexes(settings)  # what `ai-service migrate` / `index-tenants` does
        phase("recall after the flood")
        search.FACTS.clear()
        after = {tenant: recall(engine, embedder, tenant, docs) for tenant, docs in tenants.items()}
        plans = {t: search.plan(search.load_facts(engine, t), 10).strategy for t in (*tenants, "loud")}
        engine.dispose()

        phase("starting the service and the bare app")
        api = runner.start("api", env)
        bare_port = free_port()
        bare = subprocess.Popen(
            [sys.executable, __file__, "--serve-bare", str(bare_port), "--web-concurrency", str(args.web_concurrency)],
            env={**os.environ, **env},
        )
        wait_until(lambda: _healthy(f"http://127.0.0.1:{bare_port}/health"), timeout=60, what="bare app")
        bare_url = f"http://127.0.0.1:{bare_port}"

        ids = list(tenants[BENCH_TENANT])[:200]
        queries = ["+".join(rng.sample(WORDS, 3)) for _ in range(200)]
        auth = f"Bearer {KEYS[BENCH_TENANT]}"
        scripts = {
            "service": write_script(workdir / "svc-doc.lua", [f"/api/v1/documents/{i}" for i in ids], auth),
            "bare": write_script(workdir / "bare-doc.lua", [f"/documents/{i}" for i in ids], auth),
            "service search": write_script(workdir / "svc-q.lua", [f"/api/v1/search?k=5&q={q}" for q in queries], auth),
            "reference search": write_script(workdir / "ref-q.lua", [f"/search?k=5&q={q}" for q in queries], auth),
        }
        cases = [
            ("overhead", "service GET /api/v1/documents/{id}", api.url, scripts["service"], 32),
            ("overhead", "bare    GET /documents/{id}", bare_url, scripts["bare"], 32),
            ("search8", "service /api/v1/search", api.url, scripts["service search"], 8),
            ("search8", "reference /search", bare_url, scripts["reference search"], 8),
            ("search32", "service /api/v1/search", api.url, scripts["service search"], 32),
            ("search32", "reference /search", bare_url, scripts["reference search"], 32),
        ]
        phase("load (wrk)")
        for _, _, url, script, connections in cases:  # warm pools and caches alike
            wrk(url, script, duration=2, connections=connections)
        load_before = loadavg()
        results: dict[tuple[str, str], list[dict]] = {(group, name): [] for group, name, *_ in cases}
        for _ in range(args.runs):
            for group, name, url, script, connections in cases:
                results[(group, name)].append(wrk(url, script, duration=args.duration, connections=connections))
        med = {
            key: {m: statistics.median(r[m] for r in runs) for m in ("rps", "p50", "p99", "errors")}
            for key, runs in results.items()
        }

        print(
            f"\none run on this machine ({os.cpu_count()} cores, load average before {load_before}, "
            f"after {loadavg()}); medians of {args.runs} x {args.duration}s; WEB_CONCURRENCY={args.web_concurrency}"
        )
        print(f"tenant chunks: {BENCH_TENANT} {args.chunks}, beta 2000, loud {args.flood} (dim {args.dim})")
        print(f"plans at k=10: {plans}")
        print(f"\n{'case':<44}{'conns':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
        for group, name, _, _, connections in cases:
            m = med[(group, name)]
            print(f"{name:<44}{connections:>6}{m['rps']:>9.0f}{m['p50']:>9.2f}{m['p99']:>9.2f}{m['errors']:>9.0f}")

        def ratio(group: str) -> float:
            service, baseline = (med[key]["rps"] for key in results if key[0] == group)
            return service / baseline

        overhead, search32 = ratio("overhead"), ratio("search32")
        p99 = med[("search8", "service /api/v1/search")]["p99"]
        verdict = {True: "met", False: "MISSED"}
        print()
        print(f"1. overhead route / bare app          {overhead:5.2f}x  (goal >= 0.70: {verdict[overhead >= 0.7]})")
        print(f"2. search / reference, 32 connections {search32:5.2f}x  (goal >= 0.70: {verdict[search32 >= 0.7]})")
        print(f"   search p99 at 8 connections        {p99:5.1f} ms (goal < 50: {verdict[p99 < 50]})")
        print("3. recall per tenant (40 exact-text queries, k=10), before -> after the flood")
        for tenant in tenants:
            b, a = before[tenant], after[tenant]
            print(
                f"   {tenant:<6} service  recall@1 {b['recall@1']:.3f} -> {a['recall@1']:.3f}"
                f"  recall@10 {b['recall@10']:.3f} -> {a['recall@10']:.3f}"
                f"  results {b['results']:.1f} -> {a['results']:.1f}"
            )
            print(
                f"   {'':<6} previous recall@1 {b['previous recall@1']:.3f} -> {a['previous recall@1']:.3f}"
                f"  recall@10 {b['previous recall@10']:.3f} -> {a['previous recall@10']:.3f}"
                f"  results {b['previous results']:.1f} -> {a['previous results']:.1f}"
            )
    finally:
        if bare:
            bare.terminate()
            bare.wait()
        runner.close()
        moto.stop()
        pg.server.cleanup()
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
