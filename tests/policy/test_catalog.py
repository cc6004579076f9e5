"""docs/operations/policy.md lists every rule with its level and rationale, grouped by risk class."""

from pathlib import Path

from infra.tooling.policy import ALL_RULES
from infra.tooling.policy.catalog import BEGIN, END, markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations" / "policy.md"


def test_the_doc_carries_the_generated_catalogue():
    text = DOC.read_text()
    assert text[text.index(BEGIN) : text.index(END) + len(END)] == markdown(), (
        "run: python -m infra.tooling.policy.catalog"
    )


def test_every_rule_has_a_risk_class_and_a_one_line_rationale():
    assert all(rule.description and "\n" not in rule.description and rule.risk for rule in ALL_RULES)
    assert len({rule.name for rule in ALL_RULES}) == len(ALL_RULES)
