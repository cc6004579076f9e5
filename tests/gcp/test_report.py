"""The plan's text tree nests children under components that share their name."""

from __future__ import annotations

from infra.tooling.plan.report import text_report


def test_text_tree_nests_children_named_like_their_component(gcp):
    lines = text_report(gcp).splitlines()
    component = lines.index("  + ai-service:gcp:CloudSqlPostgres  db")
    assert "    + gcp:sql/databaseInstance:DatabaseInstance  db [protect]" in lines[component + 1 : component + 8]
    assert sum(1 for line in lines if line.strip().startswith("+ ")) == len(gcp.resources)
