"""Schedules run only what the service can run: infra's list equals the service's own command line."""

from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path

import pytest
from ai_service import cli

from infra.settings import ConfigError, load_settings
from infra.settings.schedules import SCHEDULABLE

ROOT = Path(__file__).resolve().parents[2]


def _options(command: str) -> frozenset[str]:
    sub = next(a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction))
    return frozenset(
        o for action in sub.choices[command]._actions for o in action.option_strings if o not in {"-h", "--help"}
    )


def test_the_list_is_the_services_own():
    assert set(SCHEDULABLE) == set(cli.SCHEDULABLE)
    for command, options in SCHEDULABLE.items():
        assert options == _options(command), command


@pytest.mark.parametrize(
    "command", [["reindx"], ["migrate"], ["api"], ["reindex", "--inlin"], ["enqueue-cleanup", "--inline"]]
)
def test_a_command_the_service_cannot_schedule_is_refused(command):
    with pytest.raises(ConfigError, match=r"^ai-service:schedules\[0\]\.command: "):
        load_settings({"ai-service:schedules": json.dumps([{"name": "x", "cron": "0 3 * * *", "command": command}])})


def test_every_schedulable_command_is_accepted():
    schedules = [
        {"name": f"s{i}", "cron": "0 3 * * *", "command": [c, *sorted(o)]}
        for i, (c, o) in enumerate(SCHEDULABLE.items())
    ]
    assert len(load_settings({"ai-service:schedules": json.dumps(schedules)}).schedules) == len(SCHEDULABLE)


def test_infra_never_imports_the_service_package():
    offenders = []
    for path in [
        *ROOT.glob("infra/**/*.py"),
        *ROOT.glob("stacks/*.py"),
        *ROOT.glob("policy/*.py"),
        ROOT / "__main__.py",
    ]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "ai_service"]
    assert offenders == []
