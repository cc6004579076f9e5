"""`ai-service scheduler`: run the stack's schedules where no platform scheduler exists (docker hosts).

SCHEDULES is JSON `[{"name", "cron", "command"}]`: 5-field cron in UTC, `command` the arguments
of this console script. Kubernetes (CronJob), Cloud Run (Cloud Scheduler) and AWS (EventBridge)
run the same commands themselves; the droplet and local stacks run one scheduler container.
Fire times come from croniter (the cron library RQ's own scheduler uses). A schedule whose
previous run is still going is skipped, like a CronJob with concurrencyPolicy Forbid.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import structlog
from croniter import croniter

from .settings import ConfigError

log = structlog.get_logger("ai_service.scheduler")
HEARTBEAT = Path(os.environ.get("SCHEDULER_HEARTBEAT", "/tmp/scheduler.alive"))  # noqa: S108 - container-local


@dataclass
class Schedule:
    name: str
    cron: str
    command: list[str]
    next_run: float = 0.0
    running: subprocess.Popen | None = field(default=None, repr=False)


def parse_schedules(text: str) -> list[Schedule]:
    """SCHEDULES as JSON; one clear error naming the entry that is wrong."""
    try:
        entries = json.loads(text or "[]")
    except json.JSONDecodeError as exc:
        raise ConfigError(f"SCHEDULES is not JSON ({exc.msg})") from None
    schedules = []
    for i, entry in enumerate(entries if isinstance(entries, list) else [None]):
        if not isinstance(entry, dict) or set(entry) != {"name", "cron", "command"}:
            raise ConfigError(f"SCHEDULES[{i}] must be an object with exactly name, cron, command")
        cron, command = entry["cron"], entry["command"]
        if len(str(cron).split()) != 5 or not croniter.is_valid(cron):
            raise ConfigError(f"SCHEDULES[{i}].cron {cron!r} is not a 5-field cron expression")
        if not isinstance(command, list) or not command or not all(isinstance(a, str) for a in command):
            raise ConfigError(f"SCHEDULES[{i}].command must be a non-empty list of strings")
        schedules.append(Schedule(str(entry["name"]), cron, command))
    return schedules


class Scheduler:
    """Starts `program <command…>` for each due schedule; `tick(now)` is one pass of the loop."""

    def __init__(self, schedules: list[Schedule], program: list[str], now: float | None = None):
        self.schedules = schedules
        self.program = program
        start = time.time() if now is None else now
        for schedule in schedules:
            schedule.next_run = self._after(schedule, start)

    @staticmethod
    def _after(schedule: Schedule, moment: float) -> float:
        return croniter(schedule.cron, datetime.fromtimestamp(moment, UTC)).get_next(float)

    def tick(self, now: float) -> list[str]:
        """Reap finished runs, start due ones; returns the names started."""
        started = []
        for schedule in self.schedules:
            self._reap(schedule)
            if now < schedule.next_run:
                continue
            schedule.next_run = self._after(schedule, now)
            if schedule.running is not None:
                log.warning("schedule_skipped", schedule=schedule.name, reason="previous run still going")
                continue
            log.info("schedule_started", schedule=schedule.name, command=" ".join(schedule.command))
            schedule.running = subprocess.Popen([*self.program, *schedule.command])  # noqa: S603 - argv from stack config
            started.append(schedule.name)
        return started

    def _reap(self, schedule: Schedule) -> None:
        if schedule.running is not None and schedule.running.poll() is not None:
            code = schedule.running.returncode
            (log.info if code == 0 else log.error)("schedule_finished", schedule=schedule.name, exit_code=code)
            schedule.running = None

    def seconds_to_next(self, now: float) -> float:
        return max(0.0, min((s.next_run for s in self.schedules), default=now + 60) - now)

    def drain(self, timeout: float) -> None:
        """Let running jobs finish (SIGTERM grace), then stop what is left."""
        deadline = time.monotonic() + timeout
        for schedule in self.schedules:
            if schedule.running is None:
                continue
            try:
                schedule.running.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                schedule.running.terminate()
            self._reap(schedule)


def run_scheduler(schedules_json: str, grace_seconds: float) -> None:
    schedules = parse_schedules(schedules_json)
    program = [shutil.which("ai-service") or "ai-service"]
    scheduler = Scheduler(schedules, program)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    log.info("scheduler_started", schedules=[s.name for s in schedules])
    while not stop.is_set():
        HEARTBEAT.write_text(str(time.time()))
        scheduler.tick(time.time())
        # Wake at least every 15 s to reap finished runs and refresh the heartbeat.
        stop.wait(min(15.0, scheduler.seconds_to_next(time.time())) or 0.05)
    scheduler.drain(grace_seconds)
    log.info("scheduler_stopped")
