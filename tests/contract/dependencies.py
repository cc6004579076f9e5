"""Local stand-ins for one target's dependencies, and the overrides that point a workload at them.

Only where a dependency is changes (the table and what each override stands for on the platform
are in test_targets.py): every `postgres(ql)://` URL goes to the target's own Postgres 16 +
pgvector (host -> its unix socket, port -> its port; user, password, database and `sslmode` stay:
libpq ignores TLS on sockets), every `redis(s)://` URL to the target's redis-server started with the
plan's password (`rediss` -> `redis`), `S3_ENDPOINT_URL` to moto, and where the config means AWS
itself, boto3's `AWS_ENDPOINT_URL_*` variables to moto.

Servers are provisioned the way the platforms provision theirs: the role the migrate workload
connects as is the admin (SUPERUSER here) and owns the database; every other role in the plan's
URLs is a plain login (no CREATE in `public`, PG 15+). One initdb per session: each target's
server starts from a copy of a template data directory (PostgresPool).
"""

from __future__ import annotations

import itertools
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from tests.fixtures.services import free_port, wait_until

POSTGRES_SCHEMES = ("postgres", "postgresql")
REDIS_SCHEMES = ("redis", "rediss")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class PostgresPool:
    """Private Postgres servers, each started from a copy of one initialised data directory.

    One initdb per session; every server is stopped at the end of the session. pgserver guards
    its servers with one process-wide lock that is not thread-safe: all calls stay on one thread.
    """

    def __init__(self):
        import pgserver

        # Short paths: the unix socket lives in the data directory (108-byte limit on socket paths).
        self.root = Path(tempfile.mkdtemp(prefix="ctr-pg-"))
        self.root.chmod(0o755)
        template = self.root / "tpl"
        template.mkdir()
        template.chmod(0o755)
        pgserver.get_server(template, cleanup_mode="stop").cleanup()  # initdb, start, stop
        self._names = itertools.count()
        self.servers: list[object] = []

    def take(self):
        """A running server nobody else uses."""
        import pgserver

        copy = self.root / f"s{next(self._names)}"
        subprocess.run(["cp", "-a", str(self.root / "tpl"), str(copy)], check=True)  # keeps the owner pgserver uses
        server = pgserver.get_server(copy, cleanup_mode="delete")
        self.servers.append(server)
        return server

    def close(self) -> None:
        import psutil

        # Fast shutdown of every server at once; pgserver's cleanup then only removes the data directory.
        postmasters = [server.get_postmaster_info().process for server in self.servers]
        for process in postmasters:
            process.send_signal(signal.SIGINT)
        psutil.wait_procs(postmasters, timeout=60)
        for server in self.servers:
            server.cleanup()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class TargetDependencies:
    """One target's Postgres and Redis, and the shared moto server."""

    postgres: object  # pgserver.PostgresServer
    moto_endpoint: str
    redis_port: int = field(default_factory=free_port)
    redis_password: str = ""
    redis_process: subprocess.Popen | None = None

    @property
    def socket_dir(self) -> str:
        return str(self.postgres.get_postmaster_info().socket_dir)

    @property
    def postgres_port(self) -> int:
        return int(self.postgres.get_postmaster_info().port)

    # --- provisioning, like the platform ---------------------------------------------------

    def provision_postgres(self, urls: list[str], admin_urls: list[str]) -> None:
        import psycopg

        admin = {unquote(urlsplit(url).username or "") for url in admin_urls}
        roles: dict[str, str] = {}
        databases: set[str] = set()
        for url in urls:
            parts = urlsplit(url)
            if parts.username:
                roles[unquote(parts.username)] = unquote(parts.password or "")
            if parts.path.strip("/"):
                databases.add(unquote(parts.path.strip("/")))
        owner = next(iter(sorted(admin)), "postgres")
        uri = f"postgresql://postgres@/postgres?host={self.socket_dir}&port={self.postgres_port}"
        with psycopg.connect(uri, autocommit=True) as conn:
            for role, password in sorted(roles.items()):
                if role == "postgres":
                    continue
                power = "SUPERUSER" if role in admin else "NOSUPERUSER NOCREATEDB NOCREATEROLE"
                conn.execute(f"CREATE ROLE {_quote_ident(role)} LOGIN {power} PASSWORD {_quote_literal(password)}")
            for database in sorted(databases):
                if database != "postgres":
                    conn.execute(f"CREATE DATABASE {_quote_ident(database)} OWNER {_quote_ident(owner)}")

    def start_redis(self, urls: list[str], binary: str, workdir: Path) -> None:
        passwords = sorted({unquote(urlsplit(url).password or "") for url in urls})
        assert len(passwords) <= 1, f"the plan's Redis URLs disagree on the password ({len(passwords)} different)"
        self.redis_password = passwords[0] if passwords else ""
        args = [
            binary,
            "--port",
            str(self.redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ]
        if self.redis_password:
            args += ["--requirepass", self.redis_password]
        self.redis_process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def up() -> bool:
            import socket

            with socket.socket() as sock:
                sock.settimeout(0.2)
                return sock.connect_ex(("127.0.0.1", self.redis_port)) == 0

        wait_until(up, timeout=30, what="redis-server")

    def stop(self) -> None:
        """Stops Redis; the Postgres server is the pool's (stopped at the end of the session)."""
        if self.redis_process and self.redis_process.poll() is None:
            self.redis_process.terminate()
            self.redis_process.wait(timeout=10)

    # --- overrides -------------------------------------------------------------------------

    def postgres_url(self, url: str) -> str:
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        query = {k: v for k, v in parse_qsl(parts.query) if k not in ("host", "port", "hostaddr")}
        query |= {"host": self.socket_dir, "port": str(self.postgres_port)}
        return urlunsplit(
            (parts.scheme, f"{userinfo}@" if userinfo else "", parts.path, urlencode(query, safe="/"), "")
        )

    def redis_url(self, url: str) -> str:
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@127.0.0.1:{self.redis_port}" if userinfo else f"127.0.0.1:{self.redis_port}"
        return urlunsplit(("redis", netloc, parts.path, parts.query, ""))

    def localize(self, env: dict[str, str]) -> dict[str, str]:
        """`env` with every dependency address pointed at the local stand-ins (see the module table)."""
        out = {}
        for key, value in env.items():
            scheme = urlsplit(value).scheme if "://" in value else ""
            if scheme in POSTGRES_SCHEMES:
                value = self.postgres_url(value)
            elif scheme in REDIS_SCHEMES:
                value = self.redis_url(value)
            elif key == "S3_ENDPOINT_URL" and value:
                value = self.moto_endpoint
            out[key] = value
        return out

    def aws_endpoints(self, env: dict[str, str]) -> dict[str, str]:
        """Where the AWS SDK goes when the rendered config means "AWS itself" (boto3's own variables)."""
        extra = {"AWS_ENDPOINT_URL_SECRETS_MANAGER": self.moto_endpoint}
        if not env.get("S3_ENDPOINT_URL"):
            extra["AWS_ENDPOINT_URL_S3"] = self.moto_endpoint
        return extra
