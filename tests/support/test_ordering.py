"""The suite starts its longest files first, from the seconds a previous run recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.ordering import DURATIONS, longest_first

ROOT = Path(__file__).resolve().parents[2]


def test_files_run_longest_first_and_keep_their_own_order():
    nodeids = ["a.py::one", "a.py::two", "b.py::one", "c.py::one", "b.py::two"]
    order = longest_first(nodeids, {"a.py": 1.0, "b.py": 90.0, "c.py": 20.0})
    assert [nodeids[i] for i in order] == ["b.py::one", "b.py::two", "c.py::one", "a.py::one", "a.py::two"]


def test_a_file_not_measured_yet_is_placed_at_the_median():
    nodeids = ["new.py::t", "slow.py::t", "mid.py::t", "fast.py::t"]
    order = longest_first(nodeids, {"slow.py": 60.0, "mid.py": 10.0, "fast.py": 1.0})
    assert [nodeids[i] for i in order] == ["slow.py::t", "new.py::t", "mid.py::t", "fast.py::t"]


def test_the_table_names_only_test_files_that_exist():
    table = json.loads((ROOT / DURATIONS).read_text())
    assert table, "tests/durations.json is empty"
    assert [path for path in table if not (ROOT / path).is_file()] == [], "run: bin/test --store-durations"


def test_store_durations_records_a_run_and_the_next_run_starts_with_the_slowest_file(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_quick.py").write_text("def test_quick():\n    pass\n")
    (tmp_path / "tests/test_slow.py").write_text("import time\n\ndef test_slow():\n    time.sleep(1.0)\n")
    plugin = ["-p", "tests.support.ordering", "-p", "no:cacheprovider"]
    # This suite's own xdist variables would make the inner run act as a worker.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")} | {"PYTHONPATH": str(ROOT)}

    def pytest(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pytest", *plugin, "-n", "0", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    recorded = pytest("--store-durations", "-q")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    seconds = json.loads((tmp_path / DURATIONS).read_text())
    assert set(seconds) == {"tests/test_quick.py", "tests/test_slow.py"}
    # A bound on the recorder, not on this machine: the sleep alone is 1 s, a test that only passes is ~1 ms.
    assert seconds["tests/test_slow.py"] >= 1.0 > seconds["tests/test_quick.py"]

    collected = pytest("--collect-only", "-q")
    assert collected.stdout.splitlines()[:2] == ["tests/test_slow.py::test_slow", "tests/test_quick.py::test_quick"]
