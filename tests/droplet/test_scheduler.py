"""The scheduler container of the docker hosts, for real: its healthcheck command against a running
`ai-service scheduler`, its memory limit against the measured peak RSS, and the host scripts with
bring-your-own Redis (no Redis container to back up or ping)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra.render.dockerhost.topology import SCHEDULER_MEMORY_MIB, heartbeat_probe
from tests.droplet.hostsim import Host, run_script
from tests.fixtures.services import AI_SERVICE, wait_until

pytestmark = pytest.mark.system
HEADROOM = 1.3
JOB_PEAK_RSS = """
from ai_service.cli import main
try:
    main(["enqueue-cleanup"])
finally:
    print(next(line for line in open("/proc/self/status") if line.startswith("VmHWM:")))
"""


def _env(redis_server, tmp_path: Path, **extra: str) -> dict[str, str]:
    # `ai-service scheduler` finds `ai-service` on PATH, as in the image.
    return {
        "PATH": f"{Path(AI_SERVICE).parent}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "APP_ENV": "development",
        "REDIS_URL": redis_server.url(redis_server.next_db()),
        "DATABASE_URL": "postgresql://app:pw@127.0.0.1:9/app",
        "S3_BUCKET": "bucket",
        "S3_REGION": "us-east-1",
        **extra,
    }


def _probe(path: Path) -> int:
    """The container's healthcheck command (the image's python = this interpreter), for a heartbeat at `path`."""
    command = list(heartbeat_probe(str(path)).test[1:])
    assert command[0] == "python"
    return subprocess.run([sys.executable, *command[1:]], capture_output=True, timeout=30).returncode


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_heartbeat_probe_follows_a_real_scheduler(redis_server, tmp_path):
    heartbeat = tmp_path / "scheduler.alive"
    assert _probe(heartbeat) == 1  # not started yet: unhealthy
    env = _env(redis_server, tmp_path, SCHEDULES="[]", SCHEDULER_HEARTBEAT=str(heartbeat))
    scheduler = subprocess.Popen([AI_SERVICE, "scheduler"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: heartbeat.exists() or scheduler.poll() is not None, timeout=30, what="the first heartbeat")
        assert scheduler.poll() is None, scheduler.stderr.read().decode()
        assert _probe(heartbeat) == 0
    finally:
        scheduler.terminate()
        assert scheduler.wait(timeout=30) == 0
    stale = time.time() - 61  # a hung loop stops refreshing it
    os.utime(heartbeat, (stale, stale))
    assert _probe(heartbeat) == 1


def test_memory_limit_covers_the_scheduler_and_one_job_with_headroom(redis_server, tmp_path):
    heartbeat = tmp_path / "scheduler.alive"
    env = _env(redis_server, tmp_path, SCHEDULES="[]", SCHEDULER_HEARTBEAT=str(heartbeat))
    scheduler = subprocess.Popen(
        [AI_SERVICE, "scheduler"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until(heartbeat.exists, timeout=30, what="the first heartbeat")
        loop_mib = _peak_rss_mib(scheduler.pid)
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
    # The job the default schedule starts (`ai-service enqueue-cleanup`), reporting its own peak RSS at exit
    # (rusage of a child forked from pytest would count pytest's pages from before the exec).
    job = subprocess.run([sys.executable, "-c", JOB_PEAK_RSS], env=env, capture_output=True, text=True, timeout=60)
    assert job.returncode == 0 and "enqueued" in job.stdout, job.stderr
    job_mib = int(job.stdout.rsplit("VmHWM:", 1)[1].split()[0]) / 1024
    needed = (loop_mib + job_mib) * HEADROOM
    assert needed <= SCHEDULER_MEMORY_MIB, (
        f"scheduler {loop_mib:.0f} + job {job_mib:.0f} MiB, x{HEADROOM} = {needed:.0f}"
    )


def test_host_scripts_skip_the_redis_container_when_redis_is_brought(tmp_path):
    host = Host(tmp_path, scripts_installed=True)
    (host.releases / "r1").mkdir(parents=True)
    (host.releases / "current").symlink_to("r1")
    (host.releases / "r1/release.env").write_text(
        "VERSION='r1'\nAPI_SERVICES='api-1'\nWORKER_SERVICES='worker-cleanup-1'\nSUPPORT_SERVICES=''\n"
        "QUEUES='cleanup_tasks'\nREDIS_SERVICE=''\n"
    )
    host.log.write_text("")
    backup = run_script(host, "backup.sh")
    assert backup.returncode == 0 and "redis.url" in backup.stderr, backup.stderr
    assert host.log.read_text() == ""  # no docker call: nothing to BGSAVE or copy
    health = run_script(host, "healthcheck.sh")
    assert health.returncode == 0 and "healthy" in health.stderr, health.stderr
    assert "redis" not in host.log.read_text()
    restore = run_script(host, "restore-redis.sh", "20260101T000000Z")
    assert restore.returncode == 1 and "restore it with its provider" in restore.stderr
