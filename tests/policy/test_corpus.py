"""The policy floor holds for programs the project did not write.

Every program in tests/policy/corpus runs once, in this process, under the offline plan's mocks;
its unwaived violations must be exactly the rules it is labelled with (clean twins: none).
"""

from __future__ import annotations

import pytest

from infra.tooling.policy import ALL_RULES, Level
from tests.policy.corpus import load_all
from tests.policy.corpus.runner import CorpusRun, run

PROGRAMS = load_all()
RULES = {rule.name: rule for rule in ALL_RULES}


@pytest.fixture(scope="module")
def runs() -> dict[str, CorpusRun]:
    return {name: run(program) for name, program in PROGRAMS.items()}


def test_the_corpus_is_large_and_labelled_with_known_rules():
    assert len(PROGRAMS) >= 40
    unknown = {rule for p in PROGRAMS.values() for rule in p.expect} - set(RULES)
    assert not unknown
    assert all(p.twin_of in PROGRAMS for p in PROGRAMS.values() if p.twin_of)
    assert all(p.doc or p.twin_of for p in PROGRAMS.values())


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_produces_exactly_its_labelled_violations(runs, name):
    result = runs[name]
    assert result.resources, "the program registered nothing"
    assert result.violated == set(result.program.expect), "\n".join(
        f"{v.policy} [{v.level.value}] {v.resource}: {v.message}" for v in result.violations
    )


def test_every_rule_has_a_failing_and_a_passing_program():
    failing = {rule: [p.name for p in PROGRAMS.values() if rule in p.expect] for rule in RULES}
    twins = {p.twin_of: p for p in PROGRAMS.values() if p.twin_of}
    passing = {
        rule: [twins[f].name for f in fails if f in twins and rule not in twins[f].expect]
        for rule, fails in failing.items()
    }
    assert [rule for rule, fails in failing.items() if not fails] == []
    assert [rule for rule, passes in passing.items() if not passes] == []


def test_figures(runs):
    """Caught/expected mandatory violations and false positives over the whole corpus (printed with -s)."""
    expected = caught = false_positives = 0
    for result in runs.values():
        mandatory = {r for r in result.program.expect if RULES[r].level is Level.MANDATORY}
        got = {v.policy for v in result.violations if v.blocking}
        expected += len(mandatory)
        caught += len(mandatory & got)
        false_positives += len(got - mandatory)
    clean = [r for r in runs.values() if not r.program.expect]
    print(
        f"\ncorpus: {len(runs)} programs ({len(clean)} clean twins), {len(RULES)} rules, "
        f"mandatory caught {caught}/{expected}, false positives {false_positives}"
    )
    assert caught == expected and false_positives == 0
    assert not [r.program.name for r in clean if r.violations and any(not v.waiver for v in r.violations)]


def test_every_resource_type_in_the_corpus_is_priced(runs):
    unpriced = {what: name for name, result in runs.items() for what in result.cost.unpriced}
    assert unpriced == {}
