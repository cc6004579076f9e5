"""Session-wide stand-ins for the contract tests, and the per-target report at the end of the run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contract.dependencies import PostgresPool

REPORT: list[tuple[str, str, list, float, float]] = []  # (stack, target, boots, plan s, run s) in run order


@pytest.fixture(scope="session")
def postgres_pool() -> Iterator[PostgresPool]:
    pytest.importorskip("pgserver")
    pool = PostgresPool()
    yield pool
    pool.close()


def pytest_terminal_summary(terminalreporter) -> None:
    if not REPORT:
        return
    terminalreporter.section("contract: workloads booted per target")
    for stack, target, boots, plan_s, run_s in REPORT:
        terminalreporter.write_line(
            f"{target} ({stack}): {len(boots)} processes; plan {plan_s:.1f} s, boot to last check {run_s:.1f} s"
        )
        for boot in boots:
            terminalreporter.write_line(
                f"  {boot.seconds:6.2f} s  {boot.command:<40} {boot.outcome:<32} {' = '.join(boot.names)}"
            )
