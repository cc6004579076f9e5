#!/usr/bin/env python3
"""Where the overhead route's time goes: CPU per request with parts of the stack switched off.

Calls GET /api/v1/documents/{id} (and search, against the reference endpoint of
bench/app_throughput.py) as direct ASGI calls in this process (real Postgres and Redis) and
measures process CPU time per request — robust on a shared machine, where wall-clock throughput
mostly measures the neighbours. Postgres' and Redis' own CPU is not counted (the same work on
both sides).

    .venv/bin/python bench/overhead_breakdown.py [--requests 400] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VARIANTS = ["bare app", "service", "- rate limiter", "- request log line", "- http metrics", "- all three"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import pgserver
    import psycopg

    from tests.fixtures.services import APP_ROLE, Postgres, RedisServer
    from tests.fixtures.services import migrate as run_migrate

    workdir = Path(tempfile.mkdtemp(prefix="ai-service-breakdown-"))
    workdir.chmod(0o755)
    redis = RedisServer(shutil.which("redis-server"), workdir)
    redis.start()
    pg = Postgres(pgserver.get_server(workdir / "pgdata", cleanup_mode="delete"))
    try:
        pg.sql(f"CREATE ROLE {APP_ROLE} LOGIN")
        database = pg.create_database()
        env = {
            "PATH": os.environ["PATH"],
            "DATABASE_URL": pg.app_url(database),
            "MIGRATE_DATABASE_URL": pg.admin_url(database),
            "REDIS_URL": redis.url(1),
            "EMBEDDING_DIM": "64",
            "API_KEYS": "alpha:bench-key",
            "RATE_LIMIT_PER_MINUTE": "1000000000",
            "RATE_LIMIT_GLOBAL_PER_MINUTE": "1000000000",
            "S3_BUCKET": "unused",
            "LOG_LEVEL": "INFO",
        }
        os.environ.update(env)
        result = run_migrate(env)
        assert result.returncode == 0, result.stderr
        document_id = str(uuid.uuid4())
        with psycopg.connect(env["MIGRATE_DATABASE_URL"]) as conn:
            conn.execute(
                "INSERT INTO documents (id, tenant, filename, content_type, size_bytes, storage_key, status)"
                " VALUES (%s, 'alpha', 'a.txt', 'text/plain', 1, 'documents/a', 'indexed')",
                (document_id,),
            )

        import prometheus_fastapi_instrumentator as instrumentator
        from ai_service import auth, documents
        from ai_service.app import create_app
        from ai_service.db import get_engine
        from ai_service.logs import configure_logging
        from ai_service.settings import Settings
        from fastapi import FastAPI

        configure_logging("INFO")
        real_stdout = sys.stdout
        sys.stdout = open(os.devnull, "w")  # the request log lines are rendered and written, to nowhere  # noqa: SIM115
        check, instrument = auth.RateLimiter.check, instrumentator.Instrumentator.instrument

        async def no_limit(self, client: str) -> None:
            return None

        def bare() -> FastAPI:
            app = FastAPI()
            engine = get_engine(env["DATABASE_URL"])

            @app.get("/documents/{document_id}")
            def get_document(document_id: uuid.UUID) -> dict:
                row = documents.get(engine, str(document_id), "alpha")
                return {"id": row.id, "filename": row.filename, "status": row.status}

            return app

        def build(variant: str):
            def off(part: str) -> bool:
                return variant in (part, "- all three")

            auth.RateLimiter.check = no_limit if off("- rate limiter") else check
            instrumentator.Instrumentator.instrument = (
                (lambda self, app, *a, **k: self) if off("- http metrics") else instrument
            )
            quiet = off("- request log line")
            logging.getLogger("ai_service.http").setLevel(logging.WARNING if quiet else logging.NOTSET)
            if variant == "bare app":
                return bare(), f"/documents/{document_id}"
            return create_app(Settings()), f"/api/v1/documents/{document_id}"

        async def measure(app, path: str | list[str]) -> float:
            """Direct ASGI calls (no HTTP client in the process): only the server's CPU is counted."""
            paths = path if isinstance(path, list) else [path]
            statuses: list[int] = []

            async def receive() -> dict:
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message: dict) -> None:
                if message["type"] == "http.response.start":
                    statuses.append(message["status"])

            def scope(target: str) -> dict:
                route, _, query = target.partition("?")
                return {
                    "type": "http",
                    "asgi": {"version": "3.0"},
                    "http_version": "1.1",
                    "method": "GET",
                    "scheme": "http",
                    "path": route,
                    "raw_path": route.encode(),
                    "root_path": "",
                    "query_string": query.encode(),
                    "headers": [(b"host", b"bench"), (b"authorization", b"Bearer bench-key")],
                    "client": ("127.0.0.1", 50000),
                    "server": ("bench", 80),
                }

            for i in range(50):
                await app(scope(paths[i % len(paths)]), receive, send)
            started = time.process_time()
            for i in range(args.requests):
                await app(scope(paths[i % len(paths)]), receive, send)
            elapsed = time.process_time() - started
            assert set(statuses) == {200}, set(statuses)
            return elapsed / args.requests * 1e6

        samples: dict[str, list[float]] = {v: [] for v in VARIANTS}
        for _ in range(args.rounds):
            for variant in VARIANTS:
                samples[variant].append(asyncio.run(measure(*build(variant))))

        # Search: the service route against the bench's reference endpoint (raw SQL on a psycopg pool).
        from bench.app_throughput import WORDS, bare_app, load_tenant

        load_tenant(env["MIGRATE_DATABASE_URL"], "alpha", 2000, 64, random.Random(3))
        rng = random.Random(5)
        queries = ["+".join(rng.sample(WORDS, 3)) for _ in range(50)]
        reference = bare_app()
        search_variants = {
            "service search": ("service", [f"/api/v1/search?k=5&q={q}" for q in queries]),
            "service search - all three": ("- all three", [f"/api/v1/search?k=5&q={q}" for q in queries]),
            "reference search": (None, [f"/search?k=5&q={q}" for q in queries]),
        }
        search_samples: dict[str, list[float]] = {v: [] for v in search_variants}
        for _ in range(args.rounds):
            for name, (variant, paths) in search_variants.items():
                app = reference if variant is None else build(variant)[0]
                search_samples[name].append(asyncio.run(measure(app, paths)))

        sys.stdout = real_stdout
        print(f"CPU per request, median of {args.rounds} x {args.requests} (load average {os.getloadavg()[0]:.2f})")
        for variant in VARIANTS:
            print(f"  {variant:<28}{statistics.median(samples[variant]):8.0f} us")
        for name in search_variants:
            print(f"  {name:<28}{statistics.median(search_samples[name]):8.0f} us")
    finally:
        pg.server.cleanup()
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
