"""Scheduled jobs: `ai-service scheduler` on docker hosts and scheduled events on Lambda, against real Redis/S3."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from ai_service.scheduler import Schedule, Scheduler
from redis import Redis

from tests.fixtures.services import AI_SERVICE, wait_until

pytestmark = pytest.mark.system

MINUTE = 60.0
T0 = 1_800_000_000.0  # a minute boundary (UTC); the scheduler is driven with explicit times


def _sleeper() -> list[str]:
    return [sys.executable, "-c", "import sys, time; time.sleep(float(sys.argv[1]))"]


def test_due_schedule_runs_the_command_against_the_real_queue(service_env, monkeypatch):
    env = service_env()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    scheduler = Scheduler([Schedule("cleanup", "* * * * *", ["enqueue-cleanup"])], [AI_SERVICE], now=T0 + 10)
    queue = Redis.from_url(env["REDIS_URL"])

    assert scheduler.tick(T0 + 30) == []  # not due before the next minute
    assert scheduler.seconds_to_next(T0 + 30) == 30
    assert scheduler.tick(T0 + MINUTE) == ["cleanup"]
    scheduler.schedules[0].running.wait(60)
    assert scheduler.schedules[0].running.returncode == 0
    assert queue.llen("rq:queue:cleanup_tasks") == 1


def test_a_run_still_going_is_skipped_not_doubled():
    schedule = Schedule("slow", "* * * * *", ["30"])
    scheduler = Scheduler([schedule], _sleeper(), now=T0)
    assert scheduler.tick(T0 + MINUTE) == ["slow"]
    first = schedule.running
    assert scheduler.tick(T0 + 2 * MINUTE) == []  # previous run still going
    assert schedule.running is first and schedule.next_run == T0 + 3 * MINUTE
    first.kill()
    first.wait()
    assert scheduler.tick(T0 + 3 * MINUTE) == ["slow"]
    schedule.running.kill()


def test_scheduler_process_heartbeats_and_stops_on_sigterm(tmp_path):
    heartbeat = tmp_path / "alive"
    env = {
        **os.environ,
        "SCHEDULER_HEARTBEAT": str(heartbeat),
        "APP_ENV": "development",
        "SCHEDULES": json.dumps([{"name": "cleanup", "cron": "0 * * * *", "command": ["enqueue-cleanup"]}]),
    }
    process = subprocess.Popen(
        [AI_SERVICE, "scheduler", "--grace", "5"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        wait_until(heartbeat.exists, timeout=30, what="scheduler heartbeat")
        assert time.time() - float(heartbeat.read_text()) < 60
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
    events = [json.loads(line)["event"] for line in process.stdout.read().splitlines() if line.startswith("{")]
    assert events[0] == "scheduler_started" and events[-1] == "scheduler_stopped"


@pytest.mark.parametrize(
    ("schedules", "message"),
    [
        ("not json", "SCHEDULES is not JSON"),
        ('[{"name": "x", "cron": "61 * * * *", "command": ["enqueue-cleanup"]}]', "SCHEDULES[0].cron"),
        ('[{"name": "x", "cron": "0 * * * *", "command": []}]', "SCHEDULES[0].command"),
        ('[{"name": "x", "cron": "0 * * * *"}]', "SCHEDULES[0] must be an object"),
    ],
)
def test_bad_schedules_fail_at_start_with_one_line(schedules, message):
    env = {**os.environ, "APP_ENV": "development", "SCHEDULES": schedules}
    result = subprocess.run([AI_SERVICE, "scheduler"], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


LAMBDA_EVENT = """
import json, sys
from ai_service.lambda_handler import handler
print("RESULT", json.dumps(handler(json.loads(sys.argv[1]), None)))
"""


def test_lambda_scheduled_event_runs_cleanup_inline(service_env, s3_server):
    env = service_env(INLINE_JOBS="true", CLEANUP_TTL_SECONDS="0", LOG_LEVEL="WARNING")
    s3_server.client().put_object(Bucket=env["S3_BUCKET"], Key="tmp/part", Body=b"partial")
    event = {"schedule": "cleanup", "command": ["enqueue-cleanup"]}
    result = subprocess.run(
        [sys.executable, "-c", LAMBDA_EVENT, json.dumps(event)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert '"status": "done"' in result.stdout
    assert s3_server.keys(env["S3_BUCKET"], "tmp/") == []
    assert Redis.from_url(env["REDIS_URL"]).llen("rq:queue:cleanup_tasks") == 0  # nothing left for a worker

    event = {"schedule": "evil", "command": ["migrate"]}
    result = subprocess.run(
        [sys.executable, "-c", LAMBDA_EVENT, json.dumps(event)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0 and "is not one of ['enqueue-cleanup', 'reconcile', 'reindex']" in result.stderr
