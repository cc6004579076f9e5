"""The rendered Prometheus rules: valid for promtool, and each alert proven to fire and stay silent."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from infra.render.observability import rules, thresholds
from infra.render.observability.render import (
    MonitoringInputs,
    render_monitoring_files,
    write_files,
)
from tests.support.tools import require_tool

UNIT_TESTS = Path(__file__).parent / "promtool" / "alerts_test.yml"
RULES_PATH = f"prometheus/rules/{rules.RULES_FILE}"
PROMTOOL_HINT = "apt-get install -y prometheus"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("monitoring")
    write_files(render_monitoring_files(MonitoringInputs("test", ("api-1",), ("worker-documents-1",))), root)
    return root


def _alerts() -> list[dict[str, Any]]:
    return [r for g in rules.rule_groups()["groups"] for r in g["rules"] if "alert" in r]


def _expand(template: str, labels: dict[str, str]) -> str:
    """Expand the only template form our annotations use: {{ $labels.NAME }}."""
    out = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m.group(1)], template)
    assert "{{" not in out, f"unsupported template in {template!r}"
    return out


def _annotations_for(alertname: str, exp_labels: dict[str, str]) -> dict[str, str]:
    """The annotations Prometheus will attach to an alert with these labels (one rule must match)."""
    matches = [
        rule
        for rule in _alerts()
        if rule["alert"] == alertname
        and all(exp_labels.get(k) == _expand(v, exp_labels) for k, v in rule["labels"].items())
    ]
    assert len(matches) == 1, f"{alertname} {exp_labels}: {len(matches)} rules match"
    return {k: _expand(v, exp_labels) for k, v in matches[0]["annotations"].items()}


def _unit_tests() -> dict[str, Any]:
    return yaml.safe_load(UNIT_TESTS.read_text())


def test_promtool_accepts_rendered_rules(rendered: Path) -> None:
    promtool = require_tool("promtool", PROMTOOL_HINT)
    result = subprocess.run(
        [promtool, "check", "rules", str(rendered / RULES_PATH)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {sum(len(g['rules']) for g in rules.rule_groups()['groups'])} rules found" in result.stdout


def test_each_alert_fires_and_stays_silent_in_promtool_unit_tests(rendered: Path) -> None:
    promtool = require_tool("promtool", PROMTOOL_HINT)
    suite = _unit_tests()
    assert suite["rule_files"] == [RULES_PATH]
    for case in suite["tests"]:
        for check in case.get("alert_rule_test", []):
            for alert in check.get("exp_alerts", []):
                alert["exp_annotations"] = _annotations_for(check["alertname"], alert["exp_labels"])
    test_file = rendered / "alerts_test.yml"
    test_file.write_text(yaml.safe_dump(suite, sort_keys=False))
    result = subprocess.run([promtool, "test", "rules", str(test_file)], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_unit_tests_cover_every_alert_both_ways() -> None:
    firing: set[str] = set()
    silent: set[str] = set()
    for case in _unit_tests()["tests"]:
        for check in case.get("alert_rule_test", []):
            (firing if check.get("exp_alerts") else silent).add(check["alertname"])
    names = {a["alert"] for a in _alerts()}
    assert names - firing == set(), "alerts never proven to fire"
    assert names - silent == set(), "alerts never proven to stay silent"


def test_every_alert_is_actionable() -> None:
    for alert in _alerts():
        assert alert["labels"]["severity"] in ("critical", "warning"), alert["alert"]
        assert alert["labels"]["component"], alert["alert"]
        assert set(alert["annotations"]) == {"summary", "description", "runbook"}, alert["alert"]
        assert all(text.strip() for text in alert["annotations"].values()), alert["alert"]


def _walk(expr: str) -> list[Any]:
    nodes: list[Any] = []
    promql_parser.walk(promql_parser.parse(expr), nodes.append)
    return nodes


def test_rule_windows_hold_at_least_four_scrapes() -> None:
    """promtool 2.42 and Prometheus 3 agree only with windows >= 4x the scrape interval."""
    floor = thresholds.MIN_RANGE_WINDOW_S
    for group in rules.rule_groups()["groups"]:
        for rule in group["rules"]:
            ranges = [
                n.range.total_seconds() for n in _walk(rule["expr"]) if isinstance(n, promql_parser.MatrixSelector)
            ]
            assert all(r >= floor for r in ranges), (rule.get("alert") or rule.get("record"), ranges)


def test_rule_groups_are_a_prometheusrule_spec() -> None:
    """kube-prometheus-stack takes the same dict as `spec`: only groups of name + rules, YAML round-trips."""
    spec = rules.rule_groups()
    assert set(spec) == {"groups"}
    assert len({g["name"] for g in spec["groups"]}) == len(spec["groups"])
    assert yaml.safe_load(rules.render_rules_yaml()) == spec


def test_thresholds_are_the_documented_numbers() -> None:
    """Cloud alarms import these: a change must be deliberate."""
    assert (thresholds.ERROR_RATE.max_ratio, thresholds.ERROR_RATE.for_s) == (0.05, 300)
    assert (thresholds.LATENCY_P95.quantile, thresholds.LATENCY_P95.max_seconds) == (0.95, 5.0)
    assert thresholds.QUEUE_GROWING.for_s == 900
    assert thresholds.DISK_USAGE.max_ratio == 0.85
    assert thresholds.AVAILABILITY.objective == 0.995
    burns = {(b.factor, b.long_window_s, b.short_window_s) for b in thresholds.AVAILABILITY.burn_rates}
    assert {(14.4, 3600, 300), (6.0, 21600, 1800)} <= burns
    assert thresholds.AVAILABILITY.max_error_ratio(thresholds.AVAILABILITY.burn_rates[0]) == 0.072


@pytest.mark.parametrize("seconds,text", [(15, "15s"), (300, "5m"), (5400, "90m"), (86400, "1d"), (259200, "3d")])
def test_prom_duration(seconds: int, text: str) -> None:
    assert thresholds.prom_duration(seconds) == text
