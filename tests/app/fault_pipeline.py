"""The service + worker with every dependency behind a FaultProxy, and the audit of what a fault left.

Shared by tests/app/test_faults.py and bench/faults.py. Scenarios upload real files through the
API while a dependency is cut (or a backlog is queued and the dependency is cut under the
worker), restore it, wait, and audit every upload that got a 2xx:
  indexed  - status indexed, one chunk set (unique ordinals), found by search, object present
  lost     - accepted but not indexed by the deadline
  orphaned - objects under documents/ without a row, or visible rows without an object
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import psycopg
from redis import Redis

from tests.fixtures.services import Postgres, RedisServer, S3Server, ServiceProcess, build_service_env
from tests.support.faultproxy import FaultProxy

_BURST = """
import asyncio, json, sys, time, uuid
import httpx

async def one(client, url):
    started = time.perf_counter()
    token = uuid.uuid4().hex
    try:
        response = await client.post(url, files={"file": (f"{token}.txt", f"burst {token}".encode(), "text/plain")})
        code = response.status_code
    except httpx.HTTPError:
        code = 0
    print(json.dumps([code, time.perf_counter() - started]), flush=True)

async def main(url, count):
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await asyncio.gather(*(one(client, url) for _ in range(count)))

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""

# Small numbers so a scenario takes seconds: the same mechanisms as production, on a faster clock.
FAST = {
    "JOB_RETRIES": "3",
    "JOB_RETRY_BASE_SECONDS": "0.5",
    "JOB_RETRY_MAX_SECONDS": "2",
    "RECONCILE_INTERVAL_SECONDS": "2",
    "RECONCILE_GRACE_SECONDS": "2",
    "PENDING_GRACE_SECONDS": "4",
    "DEPENDENCY_TIMEOUT_SECONDS": "1.5",
    "UPLOAD_STORAGE_CONCURRENCY": "8",  # the default, spelled out: hung_storage() counts on it
    "EMBEDDING_DIM": "256",
    "LOG_LEVEL": "info",
}


def document_text(token: str) -> bytes:
    return f"fault drill report {token} covering pumps valves and turbines".encode()


@dataclass
class Audit:
    scenario: str
    accepted: int
    indexed: int
    failed: int
    lost: int
    orphaned: int
    duplicated: int
    unsearchable: int
    refused: int
    seconds_to_indexed: float
    unsettled: list[str] = field(default_factory=list)  # "id status job-status" of what was lost

    def row(self) -> str:
        return (
            f"{self.scenario:<26} accepted={self.accepted:<4} indexed={self.indexed:<4} lost={self.lost:<3} "
            f"orphaned={self.orphaned:<3} failed={self.failed:<3} duplicated={self.duplicated} "
            f"unsearchable={self.unsearchable} refused(503)={self.refused:<4} "
            f"indexed_within={self.seconds_to_indexed:.1f}s"
        )


@dataclass
class Pipeline:
    env: dict[str, str]
    s3: S3Server
    proxies: dict[str, FaultProxy]
    start: Callable[..., ServiceProcess]
    api: ServiceProcess | None = None
    worker: ServiceProcess | None = None
    accepted: dict[str, str] = field(default_factory=dict)  # id -> token
    errors: list[str] = field(default_factory=list)  # uploads that got no HTTP answer

    @classmethod
    def build(
        cls,
        redis_server: RedisServer,
        postgres: Postgres,
        s3_server: S3Server,
        start: Callable[..., ServiceProcess],
        **overrides: str,
    ) -> Pipeline:
        env = build_service_env(redis_server, postgres, s3_server, **{**FAST, **overrides})
        proxies = {
            "postgres": FaultProxy(_pg_socket(postgres)),
            "redis": FaultProxy(("127.0.0.1", redis_server.port)),
            "s3": FaultProxy(("127.0.0.1", s3_server.port)),
        }
        database = urlsplit(env["DATABASE_URL"]).path.lstrip("/")
        redis_db = env["REDIS_URL"].rsplit("/", 1)[1]
        env.update(
            DATABASE_URL=f"postgresql://app@127.0.0.1:{proxies['postgres'].port}/{database}",
            REDIS_URL=f"redis://127.0.0.1:{proxies['redis'].port}/{redis_db}",
            S3_ENDPOINT_URL=f"http://127.0.0.1:{proxies['s3'].port}",
        )
        pipeline = cls(env, s3_server, proxies, start)
        pipeline.api = start("api", env)
        pipeline.worker = start("worker", env)
        return pipeline

    def close(self) -> None:
        for proxy in self.proxies.values():
            proxy.close()

    # --- driving -------------------------------------------------------------------------

    def upload(self, client: httpx.Client) -> int:
        token = f"tok{uuid.uuid4().hex[:10]}"
        try:
            response = client.post(
                f"{self.api.url}/api/v1/documents",
                files={"file": (f"{token}.txt", document_text(token), "text/plain")},
                timeout=30,
            )
        except httpx.HTTPError as exc:
            self.errors.append(repr(exc))
            return 0
        if response.status_code == 202:
            self.accepted[response.json()["id"]] = token
        return response.status_code

    def upload_timed(self) -> tuple[int, float]:
        started = time.perf_counter()
        with httpx.Client() as client:
            code = self.upload(client)
        return code, time.perf_counter() - started

    def burst_elsewhere(self, count: int) -> subprocess.Popen:
        """`count` concurrent uploads from another process (asyncio, one thread), so the load they put
        on this process (which hosts the proxies and moto) does not slow the dependencies down.
        Its stdout has one JSON line [status, seconds] per upload, written as each one is answered."""
        return subprocess.Popen(
            [sys.executable, "-c", _BURST, f"{self.api.url}/api/v1/documents", str(count)],
            stdout=subprocess.PIPE,
            text=True,
        )

    def stream(self, seconds: float, every: float = 0.05) -> tuple[threading.Thread, list[int]]:
        """Uploads one after another for `seconds` in the background; returns (thread, status codes)."""
        codes: list[int] = []

        def run() -> None:
            deadline = time.monotonic() + seconds
            with httpx.Client() as client:
                while time.monotonic() < deadline:
                    codes.append(self.upload(client))
                    time.sleep(every)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread, codes

    def burst(self, count: int, concurrency: int = 8) -> list[int]:
        with httpx.Client() as client, ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(lambda _: self.upload(client), range(count)))

    def restart_worker(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        self.worker = self.start("worker", self.env)

    # --- checking ------------------------------------------------------------------------

    def statuses(self, ids) -> dict[str, str]:
        with psycopg.connect(self.env["MIGRATE_DATABASE_URL"]) as conn:
            rows = conn.execute("SELECT id::text, status FROM documents WHERE id = ANY(%s::uuid[])", (list(ids),))
            return dict(rows.fetchall())

    def wait_settled(self, ids, timeout: float) -> float:
        """Seconds until every id is indexed or failed (or the timeout)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            states = self.statuses(ids)
            if all(states.get(i) in ("indexed", "failed") for i in ids):
                break
            time.sleep(0.25)
        return time.monotonic() - started

    def orphans(self) -> int:
        keys = {k.removeprefix("documents/") for k in self.s3.keys(self.env["S3_BUCKET"], "documents/")}
        with psycopg.connect(self.env["MIGRATE_DATABASE_URL"]) as conn:
            rows = dict(conn.execute("SELECT id::text, status FROM documents").fetchall())
        objects_without_row = keys - set(rows)
        visible = {i for i, s in rows.items() if s in ("queued", "processing", "indexed", "failed")}
        rows_without_object = visible - keys
        return len(objects_without_row) + len(rows_without_object)

    def audit(self, scenario: str, ids: dict[str, str], codes: list[int], timeout: float = 40) -> Audit:
        took = self.wait_settled(list(ids), timeout)
        states = self.statuses(ids)
        with psycopg.connect(self.env["MIGRATE_DATABASE_URL"]) as conn:
            sets = dict(
                conn.execute(
                    "SELECT document_id::text, count(*) <> count(DISTINCT ordinal) FROM chunks "
                    "WHERE document_id = ANY(%s::uuid[]) GROUP BY document_id",
                    (list(ids),),
                ).fetchall()
            )
        unsearchable = 0
        with httpx.Client() as client:
            for document_id, token in ids.items():
                if states.get(document_id) != "indexed":
                    continue
                query = document_text(token).decode()  # the whole text: other documents differ in its token only
                unsearchable += document_id not in self.search(client, query)
        indexed = sum(1 for i in ids if states.get(i) == "indexed")
        failed = sum(1 for i in ids if states.get(i) == "failed")
        return Audit(
            scenario=scenario,
            accepted=len(ids),
            indexed=indexed,
            failed=failed,
            lost=len(ids) - indexed - failed,
            orphaned=self.orphans(),
            duplicated=sum(1 for i in ids if sets.get(i)),
            unsearchable=unsearchable,
            refused=sum(1 for c in codes if c != 202),
            seconds_to_indexed=took,
            unsettled=[self.describe(i, states.get(i)) for i in ids if states.get(i) not in ("indexed", "failed")],
        )

    def search(self, client: httpx.Client, query: str) -> set[str]:
        # The first request on each pooled connection that died in a database outage answers 503
        # (no pre-ping, by design); the next one reconnects.
        for _ in range(5):
            response = client.get(f"{self.api.url}/api/v1/search", params={"q": query, "k": 3})
            if response.status_code == 200:
                return {r["document_id"] for r in response.json()["results"]}
            time.sleep(0.2)
        return set()

    def describe(self, document_id: str, status: str | None) -> str:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        redis = Redis(port=self.proxies["redis"].upstream[1], db=int(self.env["REDIS_URL"].rsplit("/", 1)[1]))
        try:
            job = Job.fetch(f"document-{document_id}", connection=redis)
            state = f"{job.get_status()} meta={job.meta} retries_left={job.retries_left}"
        except NoSuchJobError:
            state = "no job"
        return f"{document_id} {status} {state}"

    def new_ids(self, before: set[str]) -> dict[str, str]:
        return {i: t for i, t in self.accepted.items() if i not in before}


def _pg_socket(postgres: Postgres) -> str:
    from pathlib import Path

    return str(next(p for p in Path(postgres.socket_dir).glob(".s.PGSQL.*") if not p.name.endswith(".lock")))


# --- scenarios ---------------------------------------------------------------------------

OUTAGE = 2.0


def during_uploads(pipeline: Pipeline, dependency: str) -> Audit:
    """A dependency is cut for OUTAGE seconds in the middle of a stream of uploads."""
    before = set(pipeline.accepted)
    thread, codes = pipeline.stream(OUTAGE + 1.5)
    time.sleep(0.7)
    pipeline.proxies[dependency].cut()
    time.sleep(OUTAGE)
    pipeline.proxies[dependency].restore()
    thread.join()
    return pipeline.audit(f"{dependency} cut during uploads", pipeline.new_ids(before), codes)


def backlog(pipeline: Pipeline, dependency: str, count: int = 16) -> Audit:
    """A backlog is queued, then the dependency is cut while the worker works through it."""
    before = set(pipeline.accepted)
    pipeline.worker.stop()
    codes = pipeline.burst(count)
    pipeline.proxies[dependency].cut()
    pipeline.worker = pipeline.start("worker", pipeline.env, wait=False)
    time.sleep(OUTAGE)
    pipeline.proxies[dependency].restore()
    return pipeline.audit(f"{dependency} cut under backlog", pipeline.new_ids(before), codes)


def redis_loses_queue(pipeline: Pipeline, count: int = 16) -> Audit:
    """Redis comes back empty (restart without persistence) while a backlog was queued."""
    before = set(pipeline.accepted)
    pipeline.worker.stop()
    codes = pipeline.burst(count)
    database = int(pipeline.env["REDIS_URL"].rsplit("/", 1)[1])
    Redis(port=pipeline.proxies["redis"].upstream[1], db=database).flushdb()
    pipeline.worker = pipeline.start("worker", pipeline.env, wait=False)
    return pipeline.audit("redis lost its data", pipeline.new_ids(before), codes)


def worker_killed(pipeline: Pipeline, count: int = 24) -> Audit:
    """The worker is SIGKILLed in the middle of a backlog; a new one starts."""
    import signal

    before = set(pipeline.accepted)
    pipeline.worker.stop()
    codes = pipeline.burst(count)
    pipeline.worker = pipeline.start("worker", pipeline.env)
    time.sleep(0.3)
    pipeline.worker.signal(signal.SIGKILL)
    pipeline.worker.process.wait()
    pipeline.worker = pipeline.start("worker", pipeline.env, wait=False)
    return pipeline.audit("worker killed mid-backlog", pipeline.new_ids(before), codes)


# --- hung storage: what uploads and searches get while S3 accepts connections and never answers ---


@dataclass
class HungStorage:
    uploads: int
    concurrency: int  # UPLOAD_STORAGE_CONCURRENCY: uploads that may hold a storage slot
    before: list[tuple[int, float]]  # searches (status, seconds) with S3 answering
    during: list[tuple[int, float]]  # searches while the slot holders wait on the hung S3
    answers: list[tuple[int, float]]  # the uploads (status, seconds), in the order they were answered

    @property
    def refused(self) -> list[tuple[int, float]]:
        """The first answers: uploads beyond the storage slots, which must not wait for the storage."""
        return self.answers[: self.uploads - self.concurrency]

    @property
    def waited(self) -> list[tuple[int, float]]:
        return self.answers[self.uploads - self.concurrency :]

    def rows(self) -> list[str]:
        def ms(samples: list[tuple[int, float]], q: float) -> float:  # q=1.0: the slowest
            ordered = sorted(seconds for _, seconds in samples)
            return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000

        rows = [
            f"search p{round(q * 100)} {ms(self.before, q):.1f} ms before, {ms(self.during, q):.1f} ms with "
            f"{self.uploads} uploads on a hung S3"
            for q in (0.5, 0.95, 0.99, 1.0)
        ]
        refused, waited = [t for _, t in self.refused], [t for _, t in self.waited]
        rows.append(
            f"uploads: {len(refused)} answered within {max(refused):.2f} s, the {len(waited)} holding a storage "
            f"slot in {min(waited):.2f}-{max(waited):.2f} s; statuses {sorted({c for c, _ in self.answers})}"
        )
        return rows


def search_latencies(pipeline: Pipeline, count: int) -> list[tuple[int, float]]:
    samples = []
    with httpx.Client(timeout=30) as client:
        for i in range(count):
            started = time.perf_counter()
            response = client.get(f"{pipeline.api.url}/api/v1/search", params={"q": f"pumps valves {i}"})
            samples.append((response.status_code, time.perf_counter() - started))
    return samples


def hung_storage(pipeline: Pipeline, uploads: int = 50, searches: int = 150) -> HungStorage:
    """S3 frozen; `uploads` concurrent uploads from another process; once all but the slot holders
    are answered, `searches` searches one after another while the holders still wait on S3."""
    concurrency = int(pipeline.env["UPLOAD_STORAGE_CONCURRENCY"])
    search_latencies(pipeline, 20)  # warm
    before = search_latencies(pipeline, searches)
    pipeline.proxies["s3"].freeze()
    burst = pipeline.burst_elsewhere(uploads)
    assert burst.stdout is not None
    try:

        def answer() -> tuple[int, float]:
            line = burst.stdout.readline()
            assert line, f"the upload burst ended early (exit {burst.wait()})"
            code, seconds = json.loads(line)
            return code, seconds

        answers = [answer() for _ in range(uploads - concurrency)]
        during = search_latencies(pipeline, searches)
        answers += [answer() for _ in range(concurrency)]
        burst.wait(timeout=60)
    finally:
        pipeline.proxies["s3"].restore()
        if burst.poll() is None:
            burst.kill()
            burst.wait()
        burst.stdout.close()
    return HungStorage(uploads, concurrency, before, during, answers)


SCENARIOS: list[tuple[str, Callable[[Pipeline], Audit]]] = [
    *((f"{d}-during-uploads", lambda p, d=d: during_uploads(p, d)) for d in ("postgres", "redis", "s3")),
    *((f"{d}-backlog", lambda p, d=d: backlog(p, d)) for d in ("postgres", "redis", "s3")),
    ("redis-loses-queue", redis_loses_queue),
]
# RQ's abandoned-job detection takes ~20 s: bench/faults.py runs it; tests/app/test_worker_recovery.py
# covers the same path for one document.
SLOW_SCENARIOS: list[tuple[str, Callable[[Pipeline], Audit]]] = [("worker-killed", worker_killed)]
