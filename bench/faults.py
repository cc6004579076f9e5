#!/usr/bin/env python3
"""What a dependency fault costs the document pipeline: accepted / indexed / lost / orphaned per scenario.

Starts real Redis, Postgres + pgvector (pgserver) and an S3 API (moto), each behind a TCP
proxy that can cut or freeze it, runs `ai-service api` and `ai-service worker` against the
proxies (production retry/reconcile mechanisms on a faster clock, tests/app/fault_pipeline.py
FAST), and runs every scenario of tests/app/test_faults.py plus a worker SIGKILLed mid-backlog:

    .venv/bin/python bench/faults.py [--only NAME ...]

One line per scenario; exit 1 when any accepted upload was lost, failed, indexed twice or
left an orphan. Then `hung-s3`: search latency percentiles before and while 50 uploads meet a
hung S3, and how long the refused and the slot-holding uploads took (the test checks these
against the timeouts; the speed figures are this script's).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="scenario names (default: all)")
    args = parser.parse_args()

    import pgserver
    from moto.server import ThreadedMotoServer

    from tests.app.fault_pipeline import SCENARIOS, SLOW_SCENARIOS, Pipeline, hung_storage
    from tests.fixtures.services import APP_ROLE, Postgres, RedisServer, S3Server, ServiceRunner, free_port

    workdir = Path(tempfile.mkdtemp(prefix="ai-service-faults-"))
    workdir.chmod(0o755)  # pgserver runs postgres as an unprivileged user when we are root
    redis = RedisServer(shutil.which("redis-server") or "redis-server", workdir)
    redis.start()
    pg = Postgres(pgserver.get_server(workdir / "pgdata", cleanup_mode="delete"))
    pg.sql(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    s3_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    moto.start()
    runner = ServiceRunner(workdir)
    bad = 0
    try:
        pipeline = Pipeline.build(redis, pg, S3Server(s3_port), runner.start)
        for name, scenario in [*SCENARIOS, *SLOW_SCENARIOS]:
            if args.only and name not in args.only:
                continue
            audit = scenario(pipeline)
            print(audit.row(), flush=True)
            bad += audit.lost + audit.failed + audit.duplicated + audit.orphaned + audit.unsearchable
        if not args.only or "hung-s3" in args.only:
            print("\n".join(hung_storage(pipeline).rows()), flush=True)
        pipeline.close()
    finally:
        runner.close()
        moto.stop()
        redis.stop()
        pg.server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
