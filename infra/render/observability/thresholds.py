"""What we promise and when we alert: the SLO and every alert threshold as typed data.

One source for all targets: the Prometheus rules (droplet, local, Kubernetes) are rendered
from these numbers, and the Fargate / Cloud Run stacks build CloudWatch / Cloud Monitoring
alarms from the same constants. Durations are plain seconds so any platform can use them
(`prom_duration` formats them for PromQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["critical", "warning"]

SCRAPE_INTERVAL_S = 15
# promtool 2.42 (the tests' checker) and Prometheus 3 (left-open ranges) agree only when every range
# window holds several samples; 4 scrape intervals is the floor the tests enforce.
MIN_RANGE_WINDOW_S = 4 * SCRAPE_INTERVAL_S


def prom_duration(seconds: int) -> str:
    """Format whole seconds as the largest exact Prometheus duration unit ("300" -> "5m")."""
    if seconds <= 0:
        raise ValueError(f"duration must be positive seconds, got {seconds}")
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True)
class RatioThreshold:
    """Fire when a ratio (0..1) measured over `window_s` stays above `max_ratio` for `for_s`."""

    max_ratio: float
    window_s: int
    for_s: int
    severity: Severity


@dataclass(frozen=True)
class LevelThreshold:
    """Fire when a gauge ratio (0..1, e.g. disk used) stays above `max_ratio` for `for_s`."""

    max_ratio: float
    for_s: int
    severity: Severity


@dataclass(frozen=True)
class LatencyThreshold:
    """Fire when the `quantile` of request latency over `window_s` exceeds `max_seconds` for `for_s`."""

    quantile: float
    max_seconds: float
    window_s: int
    for_s: int
    severity: Severity


@dataclass(frozen=True)
class StateThreshold:
    """Fire when a 1/0 state (a target, a dependency) reads 0 for `for_s`."""

    for_s: int
    severity: Severity


@dataclass(frozen=True)
class GrowthThreshold:
    """Fire when a gauge keeps rising (positive slope over `window_s`) for `for_s` while at least `min_value`."""

    window_s: int
    for_s: int
    min_value: float
    severity: Severity


@dataclass(frozen=True)
class BurnRateWindow:
    """One multi-window burn-rate condition (Google SRE workbook, ch. 5).

    Fires when the error budget burns `factor` times faster than sustainable over both the
    long and the short window; the short window makes the alert reset quickly after recovery.
    """

    factor: float
    long_window_s: int
    short_window_s: int
    for_s: int
    severity: Severity


@dataclass(frozen=True)
class AvailabilitySlo:
    """Share of non-5xx API responses (health probes excluded) over `period_days`."""

    objective: float
    period_days: int
    burn_rates: tuple[BurnRateWindow, ...]

    @property
    def error_budget(self) -> float:
        return round(1.0 - self.objective, 10)

    def max_error_ratio(self, burn: BurnRateWindow) -> float:
        """Error ratio at which `burn` fires (factor x budget)."""
        return round(burn.factor * self.error_budget, 10)

    @property
    def windows_s(self) -> tuple[int, ...]:
        """Every window the burn-rate alerts read, shortest first (each gets a recording rule)."""
        found = {w for b in self.burn_rates for w in (b.long_window_s, b.short_window_s)}
        return tuple(sorted(found))


ERROR_RATE = RatioThreshold(max_ratio=0.05, window_s=300, for_s=300, severity="critical")
LATENCY_P95 = LatencyThreshold(quantile=0.95, max_seconds=5.0, window_s=300, for_s=300, severity="warning")
READINESS_FAILING = StateThreshold(for_s=120, severity="critical")
INSTANCE_DOWN = StateThreshold(for_s=120, severity="warning")
API_DOWN = StateThreshold(for_s=60, severity="critical")
QUEUE_GROWING = GrowthThreshold(window_s=300, for_s=900, min_value=10, severity="warning")
JOB_FAILURES = RatioThreshold(max_ratio=0.10, window_s=900, for_s=300, severity="warning")
REDIS_DOWN = StateThreshold(for_s=60, severity="critical")
DISK_USAGE = LevelThreshold(max_ratio=0.85, for_s=600, severity="warning")
MEMORY_USAGE = LevelThreshold(max_ratio=0.90, for_s=600, severity="warning")

AVAILABILITY = AvailabilitySlo(
    objective=0.995,
    period_days=30,
    burn_rates=(
        # 2% of the 30-day budget in 1 h / 5% in 6 h: page.
        BurnRateWindow(factor=14.4, long_window_s=3600, short_window_s=300, for_s=120, severity="critical"),
        BurnRateWindow(factor=6.0, long_window_s=21600, short_window_s=1800, for_s=900, severity="critical"),
        # 10% in 1 d / 10% in 3 d: a ticket, not a page.
        BurnRateWindow(factor=3.0, long_window_s=86400, short_window_s=7200, for_s=3600, severity="warning"),
        BurnRateWindow(factor=1.0, long_window_s=259200, short_window_s=21600, for_s=10800, severity="warning"),
    ),
)
