#!/usr/bin/env python3
"""Throughput of the service against a bare FastAPI app with the same uvicorn settings.

Starts real Redis, Postgres + pgvector (pgserver) and an S3 API (moto), inserts N chunks
directly (HNSW index), runs `ai-service api` and a bare FastAPI "hello" app side by side,
and drives both with wrk in the same run:

    .venv/bin/python bench/app_throughput.py [--runs 3] [--duration 5] [--connections 32] [--chunks 10000]

Prints medians over the runs: requests/s, p50, p99 for /health (service vs bare) and for
/api/v1/search, plus the ratio to the bare app. Targets: /health >= 0.85 of bare,
search p99 < 50 ms at 32 connections.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
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


def bare_app():
    """The baseline: FastAPI with one /health route, no middleware."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "version": "dev"}

    return app


def serve_bare(port: int, workers: int) -> None:
    import uvicorn
    from ai_service.cli import server_options
    from ai_service.settings import Settings

    options = server_options(Settings(port=port, web_concurrency=workers))
    uvicorn.run("bench.app_throughput:bare_app", factory=True, app_dir=str(ROOT), **options)


def insert_chunks(admin_url: str, count: int, dim: int) -> None:
    import psycopg
    from ai_service.embeddings import HashingEmbedder

    rng = random.Random(7)
    embedder = HashingEmbedder(dim)
    per_doc = 10
    with psycopg.connect(admin_url) as conn:
        conn.execute("DROP INDEX chunks_embedding_hnsw")  # build once at the end: much faster than per row
        with conn.cursor() as cur:
            for start in range(0, count, per_doc):
                doc = str(uuid.uuid4())
                cur.execute(
                    "INSERT INTO documents (id, tenant, filename, content_type, size_bytes, storage_key, status)"
                    " VALUES (%s, 'default', 'bench.txt', 'text/plain', 1, %s, 'indexed')",
                    (doc, f"documents/{doc}"),
                )
                texts = [" ".join(rng.choices(WORDS, k=60)) for _ in range(min(per_doc, count - start))]
                with cur.copy("COPY chunks (document_id, tenant, ordinal, content, embedding) FROM STDIN") as copy:
                    for i, (text, vec) in enumerate(zip(texts, embedder.embed(texts), strict=True)):
                        copy.write_row((doc, "default", i, text, "[" + ",".join(f"{v:.5f}" for v in vec) + "]"))
        conn.execute("CREATE INDEX chunks_embedding_hnsw ON chunks USING hnsw (embedding vector_cosine_ops)")
        conn.execute("ANALYZE chunks")


LUA_QUERIES = """
local queries = {%s}
request = function()
  return wrk.format("GET", "/api/v1/search?k=5&q=" .. queries[math.random(#queries)])
end
"""


def wrk(url: str, *, duration: int, connections: int, script: str | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    if script:
        command += ["-s", script]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--chunks", type=int, default=10_000)
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
    from moto.server import ThreadedMotoServer

    from tests.fixtures.services import (
        Postgres,
        RedisServer,
        S3Server,
        ServiceRunner,
        _healthy,
        build_service_env,
        free_port,
        wait_until,
    )

    workdir = Path(tempfile.mkdtemp(prefix="ai-service-bench-"))
    workdir.chmod(0o755)
    redis = RedisServer(shutil.which("redis-server"), workdir)
    redis.start()
    pg = Postgres(pgserver.get_server(workdir / "pgdata", cleanup_mode="delete"))
    pg.sql("CREATE ROLE app LOGIN")
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
            RATE_LIMIT_PER_MINUTE="1000000000",
            RATE_LIMIT_GLOBAL_PER_MINUTE="1000000000",
        )
        print(f"inserting {args.chunks} chunks (dim {args.dim}) and building the HNSW index ...", flush=True)
        insert_chunks(env["MIGRATE_DATABASE_URL"], args.chunks, args.dim)
        api = runner.start("api", env)
        bare_port = free_port()
        bare = subprocess.Popen(
            [sys.executable, __file__, "--serve-bare", str(bare_port), "--web-concurrency", str(args.web_concurrency)]
        )
        wait_until(lambda: _healthy(f"http://127.0.0.1:{bare_port}/health"), timeout=30, what="bare app")

        script = workdir / "queries.lua"
        rng = random.Random(11)
        script.write_text(LUA_QUERIES % ", ".join('"' + "+".join(rng.sample(WORDS, 3)) + '"' for _ in range(50)))
        cases = {
            "bare /health": (f"http://127.0.0.1:{bare_port}/health", None),
            "service /health": (f"{api.url}/health", None),
            "service /api/v1/search": (f"{api.url}/api/v1/search", str(script)),
        }
        for url, lua in cases.values():  # warm up caches, pools and the JIT-less interpreter alike
            wrk(url, duration=2, connections=args.connections, script=lua)
        results: dict[str, list[dict]] = {name: [] for name in cases}
        for run in range(args.runs):
            for name, (url, lua) in cases.items():
                results[name].append(wrk(url, duration=args.duration, connections=args.connections, script=lua))
            print(f"run {run + 1}/{args.runs} done", flush=True)

        med = {
            name: {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p99", "errors")}
            for name, runs in results.items()
        }
        base = med["bare /health"]["rps"]
        print(
            f"\nmedians of {args.runs} runs, {args.duration}s each, {args.connections} connections, "
            f"WEB_CONCURRENCY={args.web_concurrency}, {args.chunks} chunks"
        )
        print(f"{'case':<26}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'vs bare':>9}{'non-2xx':>9}")
        for name, m in med.items():
            print(
                f"{name:<26}{m['rps']:>10.0f}{m['p50']:>9.2f}{m['p99']:>9.2f}{m['rps'] / base:>9.2f}{m['errors']:>9.0f}"
            )
        health_ratio = med["service /health"]["rps"] / base
        search_p99 = med["service /api/v1/search"]["p99"]
        print(f"\n/health ratio {health_ratio:.2f} (target >= 0.85): {'OK' if health_ratio >= 0.85 else 'MISSED'}")
        print(f"search p99 {search_p99:.1f} ms (target < 50): {'OK' if search_p99 < 50 else 'MISSED'}")
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
