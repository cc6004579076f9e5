"""Scheduled jobs as each platform's scheduler writes them (pure; no Pulumi).

Stack config holds 5-field Unix cron in UTC. Kubernetes CronJobs and Cloud Scheduler take it
as is; EventBridge Scheduler (Fargate, Lambda) has its own six-field `cron(...)` with `?` in one
of the day fields and SUN-SAT days, so it is converted here.

SCHEDULABLE lists the `ai-service` commands a schedule may run and the options each takes. It is
the service's own list, kept here because infra never imports the service's package; a test
holds it equal to the service's command-line parser.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta

from croniter import croniter

TIME_ZONE = "Etc/UTC"

# command -> options it accepts (flags only; none takes a value).
SCHEDULABLE: dict[str, frozenset[str]] = {
    "enqueue-cleanup": frozenset(),
    "reindex": frozenset({"--inline"}),
    "reconcile": frozenset({"--sweep"}),
}


def command_problem(command: tuple[str, ...]) -> str | None:
    """Why the service cannot run `ai-service <command…>` on a schedule, or None."""
    name, *options = command
    if name not in SCHEDULABLE:
        return f"{name!r} is not a command the service runs on a schedule; one of: {', '.join(sorted(SCHEDULABLE))}"
    unknown = [o for o in options if o not in SCHEDULABLE[name]]
    if unknown:
        accepted = ", ".join(sorted(SCHEDULABLE[name])) or "none"
        return f"`{name}` does not take {', '.join(unknown)} (options: {accepted})"
    return None


_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def _aws_step(field: str, first: str) -> str:
    # EventBridge writes a step from the start value (0/15), not from `*`.
    return re.sub(r"^\*/", f"{first}/", field)


def _aws_days(field: str) -> str:
    if "/" in field:
        raise ValueError(f"EventBridge cannot step through days of the week ({field!r}); list them, e.g. MON,WED,FRI")
    return re.sub(r"\d", lambda m: _DAY_NAMES[int(m.group())], field.upper())


def eventbridge_expression(cron: str) -> str:
    """`0 3 * * 1-5` -> `cron(0 3 ? * MON-FRI *)`; raises ValueError for what EventBridge cannot express."""
    minute, hour, day, month, weekday = cron.split()
    if day != "*" and weekday != "*":
        raise ValueError(f"EventBridge cannot restrict both day-of-month and day-of-week ({cron!r}); keep one as *")
    if weekday == "*":
        weekday = "?"
    else:
        day, weekday = "?", _aws_days(weekday)
    return (
        f"cron({_aws_step(minute, '0')} {_aws_step(hour, '0')} {_aws_step(day, '1')} "
        f"{_aws_step(month, '1').upper()} {weekday} *)"
    )


@functools.cache  # a year of croniter steps per call; plans cost the same few schedules again and again
def runs_per_month(minute: str, hour: str, day: str, month: str, weekday: str) -> float:
    """Average runs a month of a cron's fields (croniter syntax; EventBridge's `0/15`, `MON-FRI` too)."""
    times = croniter(f"{minute} {hour} * * *").expanded
    per_day = (60 if times[0] == ["*"] else len(times[0])) * (24 if times[1] == ["*"] else len(times[1]))
    # Matching days over a year (≤ 366 steps), times the matching times of day.
    days, it = 0, croniter(f"0 0 {day} {month} {weekday}", datetime(2026, 1, 1) - timedelta(seconds=1))
    while it.get_next(datetime) < datetime(2027, 1, 1):
        days += 1
    return per_day * days / 12
