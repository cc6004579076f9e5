#!/usr/bin/env python3
"""Wall time and peak memory of `python -m infra plan STACK --json`, as a user runs it.

Each run is a fresh interpreter (imports included). Prints the median of N runs per stack and
its ratio to a baseline run in the same script: a bare interpreter importing the Pulumi SDK.
    uv run python bench/plan_time.py [--runs 5] [STACK ...]
Each stack is planned once unmeasured first: that run writes the bytecode of what it imports (the
script allows it even where PYTHONDONTWRITEBYTECODE is set, as bin/main does), as a user's first plan does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STACKS = ["dev", "prod", "local", "aws", "gcp", "serverless"]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _timed(cmd: list[str]) -> tuple[float, int, float]:
    """(seconds, exit code, peak RSS MiB of this child)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, not all children's
    elapsed = time.perf_counter() - start
    return elapsed, os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("stacks", nargs="*", default=STACKS)
    args = parser.parse_args()

    baseline = [_timed([sys.executable, "-c", "import pulumi"])[0] for _ in range(args.runs)]
    base = statistics.median(baseline)
    print(f"baseline `import pulumi`: median {base:.2f}s over {args.runs} runs")
    print(f"{'stack':<12}{'median s':>10}{'min s':>8}{'max s':>8}{'x base':>8}{'peak MiB':>10}  exit")
    for stack in args.stacks:
        command = [sys.executable, "-m", "infra", "plan", stack, "--json"]
        _timed(command)  # writes the bytecode
        runs = [_timed(command) for _ in range(args.runs)]
        times = [r[0] for r in runs]
        codes = sorted({r[1] for r in runs})
        peak = max(r[2] for r in runs)
        median = statistics.median(times)
        print(
            f"{stack:<12}{median:>10.2f}{min(times):>8.2f}{max(times):>8.2f}{median / base:>8.1f}{peak:>10.0f}  {codes}"
        )


if __name__ == "__main__":
    main()
