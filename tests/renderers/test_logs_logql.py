"""Every LogQL query we ship parses with Grafana's LogQL grammar and selects only bounded labels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.render.observability import logs
from infra.render.observability.log_dashboard import dashboard_log_queries, logs_dashboard
from tests.support.logql import parse_logql, substitute

OBSERVABILITY_PAGE = Path(__file__).resolve().parents[2] / "docs" / "observability.md"


def _shipped() -> dict[str, str]:
    queries = dict(logs.shipped_queries())
    queries |= {f"dashboard: {title}": expr for title, expr in dashboard_log_queries(logs_dashboard())}
    for group in logs.log_rule_groups()["groups"]:
        queries |= {f"rule: {r['alert']}": r["expr"] for r in group["rules"]}
    derived = logs.loki_datasource("http://loki:3100")["jsonData"]["derivedFields"]
    # Provisioning writes `$$` for a literal `$`; Grafana hands the query on with one.
    queries |= {f"datasource link: {d['name']}": d["url"].replace("$$", "$") for d in derived}
    return queries


def readme_queries() -> dict[str, str]:
    """```logql blocks of the Logs section of docs/observability.md, one query per block."""
    text = OBSERVABILITY_PAGE.read_text()
    start, end = text.find("<!-- section:logs:start -->"), text.find("<!-- section:logs:end -->")
    assert 0 <= start < end, "docs/observability.md has no <!-- section:logs:start/end --> markers"
    blocks = re.findall(r"```logql\n(.*?)```", text[start:end], re.S)
    return {f"docs #{i}": b.strip() for i, b in enumerate(blocks, start=1)}


@pytest.fixture(scope="module")
def parsed():
    queries = _shipped() | readme_queries()
    return dict(zip(queries, parse_logql([substitute(q) for q in queries.values()]), strict=True))


def test_every_shipped_query_parses(parsed) -> None:
    bad = {name: (p.query, p.errors) for name, p in parsed.items() if p.errors}
    assert not bad, bad
    # The dashboard, the alert rule, the datasource link and the docs all contribute.
    kinds = {name.split(":")[0].split(" #")[0] for name in parsed}
    assert {"dashboard", "rule", "datasource link", "docs"} <= kinds


def test_readme_shows_the_issue_example_query() -> None:
    examples = readme_queries().values()
    assert any('route="/api/v1/documents"' in q and "status >= 500" in q for q in examples), examples


def test_the_checker_rejects_broken_queries() -> None:
    broken = ['{service="api"} | json | status >=', 'sum(rate({service="api"}[5m]) by (x)', '{service="api"']
    assert all(p.errors for p in parse_logql(broken))


def test_queries_select_streams_only_by_the_bounded_labels(parsed) -> None:
    """Stream selectors use service/level; route, status and request_id are parsed from the line."""
    used = {m[0] for p in parsed.values() for m in p.matchers}
    assert used <= set(logs.LABELS), used
    assert "service" in used and "level" in used


def test_error_queries_filter_on_parsed_json_fields(parsed) -> None:
    error_logs = parsed["error logs"].query
    assert "| json" in error_logs and "status >= 500" in error_logs
    assert re.search(r'level=~"error\|critical"', error_logs)
