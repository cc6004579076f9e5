"""Longest test files first, so that no long file starts last and runs alone at the end.

bin/test runs one file per xdist worker (`--dist loadfile`) and hands out files in collection order
(`--no-loadscope-reorder`; xdist's own reorder sorts by number of tests, which put a two-test file of
100 s at the end). The order comes from tests/durations.json: seconds per file, measured by
`bin/test --store-durations`. A file not in it yet is placed as if it took the median.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from pathlib import Path

import pytest

DURATIONS = Path("tests/durations.json")  # under the rootdir


def longest_first(nodeids: list[str], seconds: dict[str, float]) -> list[int]:
    """Indexes of `nodeids` ordered by their file's seconds, longest first; stable within a file."""
    default = statistics.median(seconds.values()) if seconds else 0.0
    files = [nodeid.split("::", 1)[0] for nodeid in nodeids]
    return sorted(range(len(nodeids)), key=lambda i: -seconds.get(files[i], default))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--store-durations",
        action="store_true",
        help=f"write the seconds each test file took to {DURATIONS} (the order of the next runs)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    table = config.rootpath / DURATIONS
    seconds = json.loads(table.read_text()) if table.exists() else {}
    order = longest_first([item.nodeid for item in items], seconds)
    items[:] = [items[i] for i in order]


class _DurationRecorder:
    def __init__(self, table: Path) -> None:
        self.table = table
        self.seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid.split("::", 1)[0]] += report.duration

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if exitstatus != 0:
            return  # a failed or interrupted run is not a measure of the suite
        seconds = {path: round(total, 1) for path, total in sorted(self.seconds.items())}
        self.table.write_text(json.dumps(seconds, indent=1) + "\n")


def pytest_configure(config: pytest.Config) -> None:
    # Only the process that sees every report records: the xdist controller, or a run without xdist.
    if config.getoption("store_durations") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_DurationRecorder(config.rootpath / DURATIONS), "store-durations")
